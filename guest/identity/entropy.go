// Package identity decides how a guest restored from a shared template becomes one distinct
// instance: it reseeds the kernel's random number generator with host-supplied bytes, then
// applies hostname, clock and network address.
package identity

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// EntropyPool is the kernel RNG as the agent uses it. Clones of one template start with the
// template's RNG state, so both calls must happen before anything random is drawn.
type EntropyPool interface {
	// AddEntropy mixes data into the input pool and credits 8 bits per byte.
	AddEntropy(data []byte) error
	// Reseed makes the kernel's CRNG rekey from the input pool now, instead of at its next
	// scheduled reseed (up to a minute later on Linux 6.1).
	Reseed() error
}

// ioctl numbers from <linux/random.h>.
const (
	rndAddEntropy = 0x40085203 // _IOW('R', 0x03, int[2])
	rndReseedCRNG = 0x5207     // _IO('R', 0x07)
)

// KernelPool writes to the kernel RNG through ioctls on a random device. Needs CAP_SYS_ADMIN.
type KernelPool struct {
	Device string // "/dev/urandom" when empty
}

func (k KernelPool) device() string {
	if k.Device == "" {
		return "/dev/urandom"
	}
	return k.Device
}

func (k KernelPool) ioctl(req uintptr, arg unsafe.Pointer) error {
	f, err := os.OpenFile(k.device(), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// RandPoolInfo lays out struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; }
// for RNDADDENTROPY (native byte order).
func RandPoolInfo(data []byte) []byte {
	b := make([]byte, 8+(len(data)+3)/4*4) // buf is __u32[]: pad to whole words
	binary.NativeEndian.PutUint32(b[0:4], uint32(8*len(data)))
	binary.NativeEndian.PutUint32(b[4:8], uint32(len(data)))
	copy(b[8:], data)
	return b
}

// AddEntropy implements EntropyPool with RNDADDENTROPY.
func (k KernelPool) AddEntropy(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	b := RandPoolInfo(data)
	if err := k.ioctl(rndAddEntropy, unsafe.Pointer(&b[0])); err != nil {
		return fmt.Errorf("RNDADDENTROPY on %s: %w", k.device(), err)
	}
	return nil
}

// Reseed implements EntropyPool with RNDRESEEDCRNG.
func (k KernelPool) Reseed() error {
	if err := k.ioctl(rndReseedCRNG, nil); err != nil {
		return fmt.Errorf("RNDRESEEDCRNG on %s: %w", k.device(), err)
	}
	return nil
}
