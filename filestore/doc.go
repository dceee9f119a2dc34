// Package filestore is statstore's embedded default store: plain files in
// one directory, safe for one writer and many readers per run across
// processes.
//
// # Layout
//
//	DIR/training_stats/<run>      the run's training stats (one file)
//	DIR/validation_scores/<run>   the run's validation metadata and scores
//	DIR/run_meta/<run>            the run's configuration and tags, replaced
//	                              whole by each change (runmeta.go)
//	DIR/.locks/<run>              the run's writer lock (gofrs/flock)
//	DIR/.tmp/                     new files before they are renamed into place
//	DIR/.summaries/<run>          the run's summary (a cache, see summary.go)
//	DIR/.buckets/<run>/           the run's training history summarised in
//	                              blocks for TrainingBuckets (a cache, see
//	                              buckets_format.go and docs/format.md)
//	                              (leftovers of killed writes are removed by a
//	                              writable Open once older than StaleTempAge)
//	DIR/.backup/                  copies kept before every destructive step:
//	                              repairs, torn-tail truncations, overwrites,
//	                              validation files rewritten in version 4
//	DIR/.trash/<id>/              a trashed run (soft delete): its manifest
//	                              and files, until restored or purged; a
//	                              crash mid-move is finished by the next
//	                              writer of the run (see trash.go)
//
// Each data file is a versioned header and a log of checksummed records in
// 4 KiB blocks, training records in chunks of at most 512 bytes (package
// internal/record; the byte layout, and what each kind of read verifies, is
// in docs/format.md). One Store call that writes is one record, committed
// when its last chunk is on disk with a valid checksum. Files of format
// version 1 (32 KiB blocks) are read, and appended to in their own layout.
// Both kinds of data file go through one log type (recordLog, log.go):
// opening, finding the committed end and classifying the bytes after it,
// repairing a torn tail after a backup, appending a record, replacing the
// file atomically after a backup, scanning records and stamping the file
// for Watch. The training file's memory map and seek index and the
// validation file's decoded entries are layered on it.
//
// Validation files are written in format version 4, whose records merge by
// iteration as statstore.PlanValidation decides: a scores record's entry
// replaces an earlier one of its iteration (the last wins) and is stored
// with the superseded mark it is sent with (a marked scores record when an
// entry is marked), a supersede record marks the entries after a training
// rewind point superseded, a delete record removes the entries from an
// iteration on. A validation file of an older version is appended to while
// its version can express the call; a call it cannot express rewrites it in
// version 4 after a backup. A training replace and its superseded marks
// are one step as readers see them: the marks are a pending supersede
// record naming the new training file's random id, appended before that
// file is renamed into place, which count only while the training file is
// that one, and which a resolve record settles after the rename (or the
// next writer, after a crash). See docs/format.md.
//
// # Costs
//
// An append writes a record holding only the new entries at the end of the
// file: O(new entries), never the history. A reader finds the committed end
// by reading the file backwards from its last block (O(last record)), takes
// TrainedUntil and the entry count from the last record, and searches the
// blocks by the iteration each starts with (interpolating, then bisecting),
// then the chunks of one block by their headers: a range or each point of a
// stride subsample costs one block fetched and one chunk of at most 512
// bytes verified, even from a freshly opened Store. Reading a whole history
// is one sequential pass that decodes the entries where they lie into one
// preallocated slice.
//
// A Store keeps, per training file (told apart by the header's random id
// and the inode), the verified iteration each block starts with, and from
// the second read of the file on a read-only shared memory map of it, so
// that repeated reads (a dashboard polling a run) make no system calls but
// an open, a stat and two small reads to see whether the file changed. A
// first read uses pread: on a fresh map every page touched costs a page
// fault, dearer than reading the bytes. A first stride subsample whose
// points lie at most 16 KiB apart reads the file ahead, 128 KiB at a time,
// instead of one block per point: with the pages cached, one system call
// costs about what copying 16–26 KiB does. AppendTrainingStats decodes a
// whole history into the caller's slice, so that a reader that polls
// reuses its memory. A map outlives neither the Store
// nor a replaced file; at most 32 files are mapped at once. If another
// process truncates a file below the committed end a reader saw, the
// memory fault is caught (debug.SetPanicOnFault) and returned as a
// *statstore.CorruptError.
//
// # Durability
//
// When a Store call returns nil its record has been fsynced (an append
// with fdatasync on Linux, which commits the data and the file's size but
// not its timestamps; Options.NoSync skips the syncs: data then survives a
// killed process but maybe not a machine crash). The first store of a run and every overwrite write a new
// file in DIR/.tmp, fsync it, rename it over the old one and fsync the
// directory. A process killed at any instant therefore leaves each file
// reading as before or after the interrupted call: an interrupted append
// leaves a torn tail: a prefix of one record cut by the end of the file,
// which readers ignore with a warning and the next writer backs up and
// truncates under the lock, with a warning. Anything else after the last
// committed record, and any invalid bytes before it, is corruption (see
// docs/format.md for the exact rule): every read fails with a
// *statstore.CorruptError naming the file and byte offset, writers refuse
// to write, Verify reports it and Repair, after a backup, keeps every
// chunk that still verifies (docs/format.md, "What repair keeps"). A Store verifies a training file whole before its first
// write to it, so no call is acknowledged on top of damage.
//
// A flipped bit or a zeroed range anywhere, the last record included, is
// therefore reported, never read as a shorter history. The price: after a
// machine crash in the middle of an append, pages the file system left
// unwritten (zeros, garbage) look like damage to the last record and need
// Repair, which keeps every acknowledged call (and, of a training append
// interrupted so, the chunks that reached the disk: entries the trainer
// sent, which an extend on resume continues).
//
// # Concurrency
//
// Writers of a run (goroutines of one Store, or processes) are serialised
// by an exclusive flock on DIR/.locks/<run>: lock files are not the data
// files, which overwrites replace by renaming. Readers take no lock: they
// see only committed records, and a replaced file is detected by the random
// id in its header. A reader never sees part of a call.
//
// # Following changes
//
// Store.Watch (statstore.Watcher) reports the changes of every run, made by
// any process: a follower started by the first Watch looks at the files
// that kernel notifications name (fsnotify), or at every file each
// Options.PollInterval (200ms) on network and cluster file systems such as
// NFS and Lustre, whose clients are not told of other machines' writes
// (Options.Watch chooses; "auto" tells the file system by statfs). A look
// stats each file and, when the stat changed, reads the file's committed
// end through the same cached readers as every read (only the records
// added since): a grown training file is an append, a new file id a
// replace, a moved validation end a merge.
package filestore
