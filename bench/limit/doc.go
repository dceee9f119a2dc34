// Command limit measures the physical limit of the statstore benchmarks:
// the least any store must do on this disk for the workloads of
// "statstore bench" (see docs/benchmarks.md).
//
// train appends 24 bytes per iteration (iteration, loss and time, little
// endian) to one open file, with one write and one fdatasync per checkpoint
// of --every iterations; its full read is one pread of the whole file into
// a reused buffer decoded into reused structs, the fastest of 5 warm reads
// (after an untimed one); its cold subsample opens the file and reads the
// 1,000 points of a stride subsample with one 24-byte pread each (issue
// 13's strict limit). validation appends one checkpoint (its iteration and
// datasets × parameters × criteria float64 scores) per write and fsync and
// reads it back into nested slices.
//
// Each prints one JSON line with the fields of "statstore bench":
//
//	limit train --dir DIR --iterations N --every K [--sync=false]
//	limit validation --dir DIR --checkpoints C --every K [--datasets D --parameters P --criteria Q]
//
// It keeps no checksums, no header, no lock and no index: a store that
// stays within a small factor of it spends its time where the disk does.
package main
