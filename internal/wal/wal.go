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
}

// Slot is one worker's write-ahead record.
type Slot struct {
	mem []byte
	seq uint64
}

// Create makes (or truncates) a slot file of n slots, each able to hold dataSize bytes.
func Create(path string, n, dataSize int) (*File, error) {
	if n <= 0 || dataSize < 0 {
		return nil, fmt.Errorf("wal: bad geometry %d slots x %d bytes", n, dataSize)
	}
	slotSize := (headerSize + dataSize + 4095) &^ 4095
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
	return &File{mem: mem, slotSize: slotSize, slots: n}, nil
}

// Slot returns slot i.
func (f *File) Slot(i int) *Slot {
	off := filePage + i*f.slotSize
	return &Slot{mem: f.mem[off : off+f.slotSize]}
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
	s.seq++
	binary.LittleEndian.PutUint32(s.mem[4:], tag)
	binary.LittleEndian.PutUint32(s.mem[8:], uint32(n))
	binary.LittleEndian.PutUint32(s.mem[12:], truncated)
	binary.LittleEndian.PutUint64(s.mem[16:], s.seq)
	atomic.StoreUint32(s.state(), 1)
}

// End records that the call returned.
func (s *Slot) End() { atomic.StoreUint32(s.state(), 0) }

// Record is one slot as read back after the writer died.
type Record struct {
	Slot      int
	InFlight  bool // the writer was inside the call
	Tag       uint32
	Data      []byte
	Truncated bool
	Seq       uint64 // how many calls the slot's writer began
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
	if slotSize < headerSize || filePage+slots*slotSize > len(b) {
		return nil, fmt.Errorf("wal: %s has a damaged header", path)
	}
	var out []Record
	for i := 0; i < slots; i++ {
		m := b[filePage+i*slotSize : filePage+(i+1)*slotSize]
		n := int(binary.LittleEndian.Uint32(m[8:]))
		if headerSize+n > len(m) {
			return nil, fmt.Errorf("wal: slot %d claims %d bytes", i, n)
		}
		out = append(out, Record{
			Slot: i, InFlight: binary.LittleEndian.Uint32(m[0:]) == 1,
			Tag: binary.LittleEndian.Uint32(m[4:]), Data: append([]byte(nil), m[headerSize:headerSize+n]...),
			Truncated: binary.LittleEndian.Uint32(m[12:]) == 1, Seq: binary.LittleEndian.Uint64(m[16:]),
		})
	}
	return out, nil
}
