package local

import (
	"encoding/binary"
	"hash/crc32"
	"unsafe"
)

// The log and the snapshot are sequences of frames:
//
//	kind     1 byte
//	idLen    uint32
//	bodyLen  uint32
//	headCRC  uint32  CRC-32C of kind, idLen, bodyLen and id
//	id       idLen bytes (the document's ID)
//	body     bodyLen bytes
//	bodyCRC  uint32  CRC-32C of body
//
// The head names the entry on its own, so that a damaged body is reported
// with the document it belongs to; a damaged head is skipped by searching
// for the next head whose checksum holds.

// Frame kinds.
const (
	kindVocab    byte = 'V' // snapshot: the terms by number
	kindDocument byte = 'D' // snapshot: a document, terms by number
	kindPut      byte = 'P' // log: a document added or replaced
	kindDelete   byte = 'X' // log: a document removed
	kindLexicon  byte = 'L' // snapshot: the lexicon (see lexfile.go)
)

const frameHead = 1 + 4 + 4 + 4

// maxFrameID bounds an ID's length in a frame head (documents IDs are
// limited far below it), so that a damaged head cannot claim more.
const maxFrameID = 1 << 16

// appendFrame appends a frame to b.
func appendFrame(b []byte, kind byte, id string, body []byte) []byte {
	start := len(b)
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(id)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	crc := crc32.Update(0, castagnoli, b[start:])
	crc = crc32.Update(crc, castagnoli, unsafe.Slice(unsafe.StringData(id), len(id)))
	b = binary.LittleEndian.AppendUint32(b, crc)
	b = append(b, id...)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(body, castagnoli))
}

// frame is one frame read back.
type frame struct {
	kind byte
	id   string
	body []byte
	off  int64 // where it starts in its file
	// bodyOK reports whether the body's checksum holds.
	bodyOK bool
}

// frameAt reads the frame at off in data. ok is false when no frame with a
// valid head starts there; end is where the frame ends, which may be past
// len(data) for a frame cut short.
func frameAt(data []byte, off int) (f frame, end int, ok bool) {
	if off+frameHead > len(data) {
		return frame{}, 0, false
	}
	h := data[off : off+frameHead]
	idLen := binary.LittleEndian.Uint32(h[1:5])
	bodyLen := binary.LittleEndian.Uint32(h[5:9])
	if idLen > maxFrameID || off+frameHead+int(idLen) > len(data) {
		return frame{}, 0, false
	}
	id := data[off+frameHead : off+frameHead+int(idLen)]
	crc := crc32.Update(crc32.Update(0, castagnoli, h[:9]), castagnoli, id)
	if crc != binary.LittleEndian.Uint32(h[9:13]) {
		return frame{}, 0, false
	}
	switch h[0] {
	case kindVocab, kindDocument, kindPut, kindDelete, kindLexicon:
	default:
		return frame{}, 0, false
	}
	f = frame{kind: h[0], id: string(id), off: int64(off)}
	bodyStart := off + frameHead + int(idLen)
	end = bodyStart + int(bodyLen) + 4
	if uint64(bodyStart)+uint64(bodyLen)+4 > uint64(len(data)) {
		return f, end, true // cut short
	}
	f.body = data[bodyStart : bodyStart+int(bodyLen)]
	f.bodyOK = crc32.Checksum(f.body, castagnoli) == binary.LittleEndian.Uint32(data[end-4:end])
	return f, end, true
}

// nextHead returns the first offset after off at which a frame with a valid
// head starts, or -1.
func nextHead(data []byte, off int) int {
	for i := off + 1; i+frameHead <= len(data); i++ {
		switch data[i] {
		case kindVocab, kindDocument, kindPut, kindDelete, kindLexicon:
		default:
			continue
		}
		if _, _, ok := frameAt(data, i); ok {
			return i
		}
	}
	return -1
}

// scanResult is what scanFrames found besides the frames.
type scanResult struct {
	// good is the end of the last whole frame followed by nothing but a
	// frame cut short or damage: where the log is truncated to.
	good int
	// tail is the ID of a document whose entry at the end was cut short
	// ("" when none, or when its head did not survive).
	tail string
	// damaged are the damaged regions before good: named entries whose
	// body does not match its checksum, and unnamed stretches.
	damaged []damagedRegion
}

// damagedRegion is a stretch of a file that does not hold what its
// checksums say.
type damagedRegion struct {
	off, end int64
	id       string // "" when the head is damaged too
	kind     byte
}

// scanFrames calls fn for every frame of data whose checksums hold, in
// order, and reports the damage it skipped. In a log (log true), a frame
// cut short or damaged with no whole frame after it is a write cut short (a
// crash or a power loss before the write was acknowledged) and ends the
// scan; in a snapshot, written whole before it was used, it is damage.
func scanFrames(data []byte, start int, log bool, fn func(frame) error) (scanResult, error) {
	res := scanResult{good: start}
	off := start
	for off < len(data) {
		f, end, ok := frameAt(data, off)
		if ok && end <= len(data) && f.bodyOK {
			if err := fn(f); err != nil {
				return res, err
			}
			off = end
			res.good = off
			continue
		}
		// Damage: a head that does not hold, a body that does not, or a
		// frame longer than the file. If a whole frame follows, the
		// damage is rot in the middle; otherwise it is the tail.
		next := -1
		if ok && end < len(data) {
			if _, _, nok := frameAt(data, end); nok {
				next = end
			}
		}
		if next < 0 && !(ok && end == len(data)) {
			next = nextHead(data, off)
		}
		if next < 0 && log {
			if ok {
				res.tail = f.id
			}
			return res, nil
		}
		r := damagedRegion{off: int64(off), end: int64(len(data))}
		if next >= 0 {
			r.end = int64(next)
		}
		if ok {
			r.id, r.kind = f.id, f.kind
		}
		res.damaged = append(res.damaged, r)
		if next < 0 {
			break
		}
		off = next
	}
	if !log {
		res.good = len(data)
	}
	return res, nil
}

// stringOffset returns the byte offset of sub in s when sub's bytes lie
// inside s's (a substring sharing its memory), or -1.
func stringOffset(s, sub string) int {
	if len(sub) == 0 || len(s) == 0 {
		return -1
	}
	base := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(sub)))
	if p < base || p+uintptr(len(sub)) > base+uintptr(len(s)) {
		return -1
	}
	return int(p - base)
}
