// Package record frames the records of statstore's append-only files, in the
// manner of LevelDB's log and Prometheus's write-ahead log.
//
// The data region of a file (everything after the file header, which the
// caller owns) is a sequence of fixed-size blocks (Layout.Block bytes,
// BlockSize by default; the last one possibly partial). A block holds chunks; a chunk never crosses a block
// boundary:
//
//	+----------+---------+---------+----------------+
//	| CRC u32  | len u16 | type u8 | payload (len)  |
//	+----------+---------+---------+----------------+
//	  CRC-32C (Castagnoli) of len, type and payload; integers little-endian.
//
// A record is one chunk of type Full, or a First chunk, zero or more Middle
// chunks and a Last chunk, in order, in the same or consecutive blocks. When
// the rest of a block is too small for the next chunk it is filled with zero
// bytes (padding, type 0).
//
// A Layout says where records may be split: the first Head bytes of a
// payload stay in its first chunk together with at least one unit, and the
// rest is split only at multiples of Unit bytes after the head, into chunks
// of at most MaxPayload bytes. With fixed-size entries as units, every chunk
// holds whole entries, so a reader can find the entry at the start of any
// block or chunk by reading it alone, and verify a small chunk instead of a
// whole record (PeekChunk, CheckChunk).
//
// A record is committed once its Full or Last chunk is on disk with a valid
// checksum. Tail finds the end of the last committed record by reading the
// file backwards from its last block, so its cost does not depend on how long
// the file is; Check reads everything and tells a torn tail (an interrupted
// append) from corruption earlier in the file. Scan hands out whole records;
// a Scanner checks the same things but hands out chunks where they lie (in a
// memory map or a read buffer fed to it in pieces), for readers that decode
// without copying, and can start at any block (NewResumeScanner).
package record
