package record

// Append encodes a record with the given payload as chunks to be written at
// file offset end (the current end of the file's records) and appends the
// bytes, padding included, to dst. It returns the extended slice, the
// offset after the record and the offset of its last chunk. The payload's
// first l.Head bytes and at least one unit (or the whole payload when it is
// shorter) go into the first chunk; the rest is split at multiples of
// l.Unit after the head, into chunks of at most l.MaxPayload bytes.
func (l Layout) Append(dst []byte, end int64, payload []byte) (_ []byte, newEnd, lastChunk int64) {
	pos := 0
	first := true
	for {
		room := l.BlockLen() - (end-l.Base)%l.BlockLen()
		rest := len(payload) - pos
		need := int64(HeaderSize)
		if first {
			need += int64(min(rest, l.Head+l.Unit))
		} else {
			need += int64(min(rest, l.Unit))
		}
		if room < need {
			dst = append(dst, make([]byte, room)...)
			end += room
			continue
		}
		avail := int(room) - HeaderSize
		if l.MaxPayload > 0 {
			avail = min(avail, l.MaxPayload)
		}
		var typ ChunkType
		n := rest
		switch {
		case rest <= avail && first:
			typ = Full
		case rest <= avail:
			typ = Last
		case first:
			typ = First
			n = l.Head + (avail-l.Head)/l.Unit*l.Unit
		default:
			typ = Middle
			n = avail / l.Unit * l.Unit
		}
		start := len(dst)
		dst = append(dst, make([]byte, HeaderSize)...)
		dst = append(dst, payload[pos:pos+n]...)
		putHeader(dst[start:], typ, n)
		lastChunk = end
		end += int64(HeaderSize + n)
		pos += n
		first = false
		if typ == Full || typ == Last {
			return dst, end, lastChunk
		}
	}
}
