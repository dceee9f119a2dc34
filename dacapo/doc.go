// Package dacapo reads and writes the stats directories of DaCapo's
// FileStatsStore, so statstore can open a directory DaCapo wrote as it is,
// import it into a native store, and export a run back to DaCapo.
//
// A DaCapo stats directory holds one pickle per run in each of two
// sub-directories:
//
//	DIR/training_stats/<run>      list of {"iteration": int, "loss": float, "time": float, "run_name": str}
//	DIR/validation_scores/<run>   list of {"iteration": int, "scores": [[[float]]], "run_name": str}
//
// where scores nest [dataset][parameter set][criterion]. DaCapo stores no
// names for these axes: Open takes them from Options (explicit metadata, or
// a criteria preset with dataset and parameter names), then from the
// directory's description file (DescriptionFile, written once by Describe,
// directory-wide or per run), infers the criteria from their count when it
// names one DaCapo evaluator (InferPreset), and otherwise uses the generic
// names of statstore.GenericMetadata, with a warning: generic criteria are
// of unknown direction, which best reports refuse rather than guess.
//
// # Reading pickles safely
//
// Pickles are decoded with github.com/kisielk/og-rek, which never executes
// code: globals and calls come back as Class and Call values. Before og-rek
// sees a file, a scanner walks its opcodes once and rejects anything a DaCapo
// file does not hold: protocols other than 0 to 5, opcodes DaCapo's data never
// needs, globals other than numpy's float64 scalar reconstructors (named in
// the error: "forbidden global os.system"), length prefixes longer than the
// rest of the file, nesting deeper than a few levels, memo entries stored
// out of order or one value stored twice (a pickler stores each value once,
// numbering entries 0, 1, 2, ...: a memo bomb fails at its second opcode),
// and files whose decoded form would need far more memory than their size
// suggests. A memo reference to a list (Python writes one for a list
// pickled twice, such as the same scores appended twice) is valid: the
// scanner writes the list's bytes again for og-rek, whose memo would keep
// the list without its items, and charges the copy what the list cost, so
// shared lists that would decode to far more than the file (a "billion
// laughs") fail with a clear error while aliasing itself is read. Lists of
// any length are read, batched by 1000 as Python writes them or not: the
// stack is bounded by the same budget, not by a count. Memo entries no
// GET reads are not passed on to og-rek, so the memory a file costs stays
// proportional to its size.
//
// Besides these limits, which a file of any size passes if it is what
// DaCapo writes, one memory budget (Options.MemoryBudget, 4 GiB by
// default; statstore's --memory-budget flag and STATSTORE_MEMORY_BUDGET
// variable) bounds the bytes reading one pickle may hold: the file and
// what decoding it makes. A file larger than the budget is refused before
// it is read, one whose decoding outgrows it is stopped; either is a
// *BudgetError naming the file, what it would need and the budget, not
// damage. The
// scanner also normalises the stream for og-rek, which does not implement
// BUILD: numpy.dtype's BUILD becomes a tuple (dtype call, state) whose state
// is then checked exactly.
//
// Accepted values are ints (including Python longs), floats, strings, lists,
// dicts with string keys and numpy.float64 scalars, pickled by numpy as
// numpy.core.multiarray.scalar (numpy 1) or numpy._core.multiarray.scalar
// (numpy 2) applied to dtype('f8') with state (3, '<', None, None, None, -1,
// -1, 0) and 8 little-endian bytes. An int is accepted where a float is
// expected. Anything else is a *statstore.CorruptError naming the file and,
// where it helps, the byte offset or the entry.
//
// # Reading fast
//
// The pickles Python writes for DaCapo's lists (protocols 2 to 5, flat
// training dicts, validation scores as nested lists, numpy.float64
// scalars) are read by a decoder specialised for them, in one pass over
// the bytes without og-rek: several times faster than Python's own
// pickle.load (docs/benchmarks.md). It accepts a subset of what the
// general path above accepts, applies the same checks and memory budget,
// and leaves anything else (another opcode, a shared list, an unexpected
// key or type, any damage) to the general path, which also names what is
// wrong; a fuzz test checks that whatever it reads, the general path reads
// the same. A run's summary (Store.SummarizeRuns) reads each file once;
// Store.RunNames lists the runs without reading them; and the training
// pickle that reading validation scores needs (to mark checkpoints past
// the training's end) is decoded once for both reads while the file is
// unchanged, so a command reading a run decodes each of its files once.
// Options.OnDecode reports the bytes decoded, for a progress bar.
//
// # Telling a DaCapo directory, and its bad runs
//
// DaCapo's directory and statstore's file store use the same two
// sub-directories. Detect tells them apart file by file, from each file's
// first bytes: an empty file (what DaCapo leaves when killed mid-dump), a
// damaged one or a FIFO counts for neither, so it never turns a DaCapo
// directory into something else. Such a run is one bad run: its reads fail
// with a *statstore.CorruptError naming the file, ListRuns leaves it out with
// a warning, ListRunsChecked and Import name it. Files are opened without
// blocking and anything but a regular file is refused by name; reads stop
// when their context is done. statstore never changes a DaCapo directory.
//
// # Writing
//
// Export writes protocol 4 pickles (DaCapo's default) that Python's
// pickle.load reads back as the documents DaCapo writes: the same keys, ints
// as ints, floats as floats, NaN as NaN. They are the bytes Python's
// pickle.dumps writes for that list (keys in DaCapo's document order,
// APPENDS batched by 1000, 64 KiB frames), so the same content always
// exports to the same bytes, which can be diffed and checksummed. It never replaces or removes an
// existing file silently: without ExportOptions.Force it fails with
// ErrExists, naming the files, before writing anything; with Force it
// first copies each to a backup directory (DIR/.backup/<UTC time>/ by
// default).
package dacapo
