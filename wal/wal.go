// Package wal keeps, for each worker, the input it is about to run in a memory-mapped file, so
// the input survives the process dying in the middle of the call: the writes are in the page
// cache, which outlives the process. A crash therefore never loses its input, whatever the
// fuzzer or driver on top does with it.
//
// A file is a header page ("SEAMWAL1", slot count, slot size) and N slots of equal size. Each
// slot is written by one goroutine only:
//
//	[state u32][tag u32][len u32][truncated u32][seq u64][data ...]
//
// state is 1 while a call is in flight and 0 when it returned. Record costs a copy of the
// input, no system call.
//
// A slot can also hold a pool (CreatePool): a table of inputs its writer cycles through, written
// once per input ([tag u32][len u32][data ...] per entry) after the direct record's data. A call
// on pool entry i is then recorded with one atomic store, state = 2+i, and Read returns that
// entry's tag and data as the in-flight record: the exact bytes without a copy per call. The
// writer rewrites an entry (SetEntry) only while no call on it is in flight.
package wal

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

const (
	headerSize = 24
	filePage   = 4096
	magic      = "SEAMWAL1"
)

// File is a mapped slot file.
type File struct {
	mem      []byte
	slotSize int
	slots    int
	dataSize int
	pool     int
}

// Slot is one worker's write-ahead record.
type Slot struct {
	mem      []byte
	dataSize int
	pool     int
}

// entryHeader is a pool entry's [tag u32][len u32]; the top bit of len marks a truncated input.
const (
	entryHeader  = 8
	truncatedBit = 1 << 31
)

// Create makes (or truncates) a slot file of n slots, each able to hold dataSize bytes.
func Create(path string, n, dataSize int) (*File, error) { return CreatePool(path, n, dataSize, 0) }

// CreatePool is Create with a pool of poolEntries inputs of up to dataSize bytes per slot.
func CreatePool(path string, n, dataSize, poolEntries int) (*File, error) {
	if n <= 0 || dataSize < 0 || poolEntries < 0 || poolEntries > 1<<30 {
		return nil, fmt.Errorf("wal: bad geometry %d slots x %d bytes, pool %d", n, dataSize, poolEntries)
	}
	slotSize := (headerSize + dataSize + poolEntries*(entryHeader+dataSize) + 4095) &^ 4095
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	total := filePage + slotSize*n
	if err := f.Truncate(int64(total)); err != nil {
		return nil, err
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, total, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("wal: mmap %s: %w", path, err)
	}
	copy(mem, magic)
	binary.LittleEndian.PutUint32(mem[8:], uint32(n))
	binary.LittleEndian.PutUint32(mem[12:], uint32(slotSize))
	binary.LittleEndian.PutUint32(mem[16:], uint32(poolEntries))
	binary.LittleEndian.PutUint32(mem[20:], uint32(dataSize))
	return &File{mem: mem, slotSize: slotSize, slots: n, dataSize: dataSize, pool: poolEntries}, nil
}

// Slot returns slot i.
func (f *File) Slot(i int) *Slot {
	off := filePage + i*f.slotSize
	return &Slot{mem: f.mem[off : off+f.slotSize], dataSize: f.dataSize, pool: f.pool}
}

// Close unmaps the file (its contents stay on disk).
func (f *File) Close() error { return syscall.Munmap(f.mem) }

func (s *Slot) state() *uint32 { return (*uint32)(unsafe.Pointer(&s.mem[0])) }

// Begin records that the call with this tag and input is about to run. Inputs larger than the
// slot are kept truncated and marked so.
func (s *Slot) Begin(tag uint32, data []byte) {
	atomic.StoreUint32(s.state(), 0)
	room := len(s.mem) - headerSize
	n := copy(s.mem[headerSize:], data)
	truncated := uint32(0)
	if len(data) > room {
		truncated = 1
	}
	binary.LittleEndian.PutUint32(s.mem[4:], tag)
	binary.LittleEndian.PutUint32(s.mem[8:], uint32(n))
	binary.LittleEndian.PutUint32(s.mem[12:], truncated)
	s.bumpSeq()
	atomic.StoreUint32(s.state(), 1)
}

// End records that the call returned.
func (s *Slot) End() { atomic.StoreUint32(s.state(), 0) }

// PoolSize is the number of pool entries of the slot (0 for Create's files).
func (s *Slot) PoolSize() int { return s.pool }

func (s *Slot) entry(i int) []byte {
	size := entryHeader + s.dataSize
	off := headerSize + s.dataSize + i*size
	return s.mem[off : off+size]
}

// SetEntry writes pool entry i (tag and input; an input larger than the slot's data size is
// kept truncated). No call on entry i may be in flight.
func (s *Slot) SetEntry(i int, tag uint32, data []byte) {
	if i < 0 || i >= s.pool {
		panic(fmt.Sprintf("wal: pool entry %d of %d", i, s.pool))
	}
	e := s.entry(i)
	n := uint32(copy(e[entryHeader:], data))
	if len(data) > s.dataSize {
		n |= truncatedBit
	}
	binary.LittleEndian.PutUint32(e[0:], tag)
	binary.LittleEndian.PutUint32(e[4:], n)
}

// BeginEntry records that the call on pool entry i is about to run: one atomic store (and the
// sequence number). End records that it returned.
func (s *Slot) BeginEntry(i int) {
	s.bumpSeq()
	atomic.StoreUint32(s.state(), uint32(2+i))
}

// bumpSeq counts one more call begun. The count lives only in the mapping, because native code
// (a batch runner, see Words) begins calls on the same slot.
func (s *Slot) bumpSeq() {
	binary.LittleEndian.PutUint64(s.mem[16:], binary.LittleEndian.Uint64(s.mem[16:])+1)
}

// Words are the slot's state and sequence words in the mapping, for a native loop that records
// its calls itself: it does what BeginEntry and End do (seq += 1, then state = 2+i with a
// release store before the call; state = 0 after it). Valid until the File is closed.
func (s *Slot) Words() (state *uint32, seq *uint64) {
	return s.state(), (*uint64)(unsafe.Pointer(&s.mem[16]))
}

// Record is one slot as read back after the writer died.
type Record struct {
	Slot      int
	InFlight  bool // the writer was inside the call
	Tag       uint32
	Data      []byte
	Truncated bool
	Seq       uint64 // how many calls the slot's writer began
	Entry     int    // the pool entry in flight, or -1 for a direct record
}

// Read returns every slot of a file written by Create (by a process that may have died).
func Read(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < filePage || string(b[:8]) != magic {
		return nil, fmt.Errorf("wal: %s is not a slot file", path)
	}
	slots := int(binary.LittleEndian.Uint32(b[8:]))
	slotSize := int(binary.LittleEndian.Uint32(b[12:]))
	pool := int(binary.LittleEndian.Uint32(b[16:]))
	dataSize := int(binary.LittleEndian.Uint32(b[20:]))
	if slotSize < headerSize || filePage+slots*slotSize > len(b) ||
		(pool > 0 && headerSize+dataSize+pool*(entryHeader+dataSize) > slotSize) {
		return nil, fmt.Errorf("wal: %s has a damaged header", path)
	}
	var out []Record
	for i := 0; i < slots; i++ {
		m := b[filePage+i*slotSize : filePage+(i+1)*slotSize]
		n := int(binary.LittleEndian.Uint32(m[8:]))
		if headerSize+n > len(m) {
			return nil, fmt.Errorf("wal: slot %d claims %d bytes", i, n)
		}
		state := binary.LittleEndian.Uint32(m[0:])
		r := Record{
			Slot: i, InFlight: state == 1, Entry: -1,
			Tag: binary.LittleEndian.Uint32(m[4:]), Data: append([]byte(nil), m[headerSize:headerSize+n]...),
			Truncated: binary.LittleEndian.Uint32(m[12:]) == 1, Seq: binary.LittleEndian.Uint64(m[16:]),
		}
		if state >= 2 {
			k := int(state - 2)
			if k >= pool {
				return nil, fmt.Errorf("wal: slot %d has pool entry %d in flight of %d", i, k, pool)
			}
			s := Slot{mem: m, dataSize: dataSize, pool: pool}
			e := s.entry(k)
			en32 := binary.LittleEndian.Uint32(e[4:])
			en := int(en32 &^ truncatedBit)
			if en > dataSize {
				return nil, fmt.Errorf("wal: slot %d pool entry %d claims %d bytes", i, k, en)
			}
			r.InFlight, r.Entry, r.Truncated = true, k, en32&truncatedBit != 0
			r.Tag, r.Data = binary.LittleEndian.Uint32(e[0:]), append([]byte(nil), e[entryHeader:entryHeader+en]...)
		}
		out = append(out, r)
	}
	return out, nil
}
