// Command syscalls13 probes the system calls of issue 13 with good and bad
// arguments and prints each result or errno, one line per call, so a
// native run and an emulated one can be compared byte for byte. It works
// in the directory given as its argument, with relative paths once it has
// changed into it, and prints no times it did not set, no inode numbers
// and no host paths. It uses the syscall package directly and builds with
// go1.11.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// Numbers the go1.11 syscall package does not name.
const (
	sysCopyFileRange = 326
	sysStatx         = 332
	sysCloseRange    = 436
	sysFaccessat2    = 439
	sysFchmodat2     = 452

	atFDCWD          = -100
	atSymlinkNofollw = 0x100
	atEaccess        = 0x200
	atEmptyPath      = 0x1000
	utimeNow         = 1<<30 - 1
	utimeOmit        = 1<<30 - 2
)

var root string // the working directory given, symbolic links resolved

// cwdFD is AT_FDCWD as a variable, for raw system call arguments.
var cwdFD = atFDCWD

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: syscalls13 DIR (an empty directory it may change)")
		os.Exit(2)
	}
	say("chdir DIR", syscall.Chdir(os.Args[1]))
	root = cwd()
	for _, p := range []struct {
		name string
		f    func()
	}{
		{"cwd", probeCwd}, {"umask", probeUmask}, {"utimes", probeUtimes},
		{"chown", probeChown}, {"groups", probeGroups}, {"chmod", probeChmod},
		{"mknod", probeMknod}, {"mincore", probeMincore}, {"copy", probeCopy}, {"deep", probeDeep},
		{"access", probeAccess}, {"statx", probeStatx}, {"close_range", probeCloseRange},
		{"rlimit", probeRlimit}, {"keepcaps", probeKeepCaps},
	} {
		fmt.Printf("== %s\n", p.name)
		p.f()
	}
}

// say prints a call's result: "ok" or its errno.
func say(what string, err error) {
	if err == nil {
		fmt.Printf("%s: ok\n", what)
		return
	}
	fmt.Printf("%s: %v\n", what, err)
}

func errOf(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func sayRaw(what string, r uintptr, e syscall.Errno) {
	if e != 0 {
		fmt.Printf("%s: %v\n", what, e)
		return
	}
	fmt.Printf("%s: %d\n", what, r)
}

func ptr(s string) uintptr {
	p, err := syscall.BytePtrFromString(s)
	if err != nil {
		panic(err)
	}
	return uintptr(unsafe.Pointer(p))
}

// cwd is getcwd's answer, or the error.
func cwd() string {
	buf := make([]byte, 4096)
	n, err := syscall.Getcwd(buf)
	if err != nil {
		return "getcwd: " + err.Error()
	}
	return string(buf[:n-1])
}

// rel shows the working directory relative to the probe's root.
func rel() string {
	wd := cwd()
	if wd == root {
		return "."
	}
	if strings.HasPrefix(wd, root+"/") {
		return strings.TrimPrefix(wd, root+"/")
	}
	return wd
}

func create(name string, data string) {
	fd, err := syscall.Open(name, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC, 0644)
	if err != nil {
		fmt.Printf("create %s: %v\n", name, err)
		return
	}
	syscall.Write(fd, []byte(data))
	syscall.Close(fd)
}

func mode(name string) string {
	var st syscall.Stat_t
	if err := syscall.Lstat(name, &st); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%o", st.Mode)
}

func probeCwd() {
	say("mkdir sub", syscall.Mkdir("sub", 0755))
	create("file", "hello")
	say("chdir sub", syscall.Chdir("sub"))
	fmt.Printf("getcwd: %s\n", rel())
	create("inner", "x")
	say("chdir ..", syscall.Chdir(".."))
	fmt.Printf("getcwd: %s\n", rel())
	var st syscall.Stat_t
	say("stat sub/inner", syscall.Stat("sub/inner", &st))
	say("chdir missing", syscall.Chdir("missing"))
	say("chdir file", syscall.Chdir("file"))
	say("chdir file/", syscall.Chdir("file/"))
	say("chdir empty", syscall.Chdir(""))
	say("chdir long", syscall.Chdir(strings.Repeat("a/", 2100)))
	_, _, e := syscall.Syscall(syscall.SYS_CHDIR, 8, 0, 0)
	say("chdir bad pointer", errOf(e))
	say("symlink", syscall.Symlink("sub", "link"))
	say("chdir link", syscall.Chdir("link"))
	fmt.Printf("getcwd through link: %s\n", rel())
	say("chdir ../sub/..", syscall.Chdir("../sub/.."))
	fmt.Printf("getcwd: %s\n", rel())

	dot, err := syscall.Open(".", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	say("open .", err)
	say("chdir /", syscall.Chdir("/"))
	fmt.Printf("getcwd: %s\n", rel())
	say("fchdir back", syscall.Fchdir(dot))
	fmt.Printf("getcwd: %s\n", rel())
	fd, _ := syscall.Open("file", syscall.O_RDONLY, 0)
	say("fchdir file", syscall.Fchdir(fd))
	syscall.Close(fd)
	say("fchdir closed", syscall.Fchdir(fd))
	say("fchdir -1", syscall.Fchdir(-1))
	buf := make([]byte, 2)
	_, err = syscall.Getcwd(buf)
	say("getcwd small buffer", err)

	// A directory descriptor names its directory after a rename.
	say("mkdir d1", syscall.Mkdir("d1", 0755))
	create("d1/f", "in d1")
	d, err := syscall.Open("d1", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	say("open d1", err)
	say("rename d1 d2", syscall.Rename("d1", "d2"))
	f, err := syscall.Openat(d, "f", syscall.O_RDONLY, 0)
	say("openat renamed/f", err)
	syscall.Close(f)
	say("fchdir renamed", syscall.Fchdir(d))
	fmt.Printf("getcwd: %s\n", rel())
	say("fchdir back", syscall.Fchdir(dot))
	syscall.Close(d)

	// The working directory removed under the process.
	say("mkdir gone", syscall.Mkdir("gone", 0755))
	say("chdir gone", syscall.Chdir("gone"))
	say("rmdir ../gone", syscall.Rmdir("../gone"))
	_, err = syscall.Getcwd(make([]byte, 4096))
	say("getcwd removed", err)
	say("open . removed", openErr("."))
	say("fchdir back", syscall.Fchdir(dot))
	fmt.Printf("getcwd: %s\n", rel())
	syscall.Close(dot)
}

// prefix is s cut to n bytes.
func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func openErr(name string) error {
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	if err == nil {
		syscall.Close(fd)
	}
	return err
}

func probeUmask() {
	old := syscall.Umask(0027)
	fmt.Printf("umask old: %o\n", old)
	fmt.Printf("umask again: %o\n", syscall.Umask(0027))
	create("masked", "")
	fmt.Printf("created 0644 under 027: %s\n", mode("masked"))
	say("mkdir 0777 under 027", syscall.Mkdir("mdir", 0777))
	fmt.Printf("mode: %s\n", mode("mdir"))
	syscall.Umask(0)
	fd, err := syscall.Open("open0666", syscall.O_CREAT|syscall.O_WRONLY, 0666)
	say("open 0666 under 0", err)
	syscall.Close(fd)
	fmt.Printf("mode: %s\n", mode("open0666"))
	say("mkdir 0777 under 0", syscall.Mkdir("mdir0", 0777))
	fmt.Printf("mode: %s\n", mode("mdir0"))
	fmt.Printf("umask high bits: %o\n", syscall.Umask(07777))
	fmt.Printf("umask kept: %o\n", syscall.Umask(old))
}

func times(name string) string {
	var st syscall.Stat_t
	if err := syscall.Lstat(name, &st); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("atime %d.%09d mtime %d.%09d", st.Atim.Sec, st.Atim.Nsec, st.Mtim.Sec, st.Mtim.Nsec)
}

func utimensat(dirfd int, path string, ts *[2]syscall.Timespec, flags int) error {
	var p uintptr
	if path != "\x00" {
		p = ptr(path)
	}
	_, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(dirfd), p, uintptr(unsafe.Pointer(ts)), uintptr(flags), 0, 0)
	return errOf(e)
}

func probeUtimes() {
	create("t", "")
	ts := [2]syscall.Timespec{{Sec: 1000000000, Nsec: 5}, {Sec: 1500000000, Nsec: 7}}
	say("utimensat", utimensat(atFDCWD, "t", &ts, 0))
	fmt.Println(times("t"))
	omit := [2]syscall.Timespec{{Nsec: utimeOmit}, {Sec: 1600000000}}
	say("utimensat omit atime", utimensat(atFDCWD, "t", &omit, 0))
	fmt.Println(times("t"))
	now := [2]syscall.Timespec{{Nsec: utimeOmit}, {Nsec: utimeNow}}
	say("utimensat now mtime", utimensat(atFDCWD, "t", &now, 0))
	var st syscall.Stat_t
	syscall.Stat("t", &st)
	fmt.Printf("mtime is now: %v, atime kept: %v\n", st.Mtim.Sec > 1700000000, st.Atim.Sec == 1000000000)
	bad := [2]syscall.Timespec{{Nsec: 1000000000}, {}}
	say("utimensat nsec 1e9", utimensat(atFDCWD, "t", &bad, 0))
	say("utimensat bad flags", utimensat(atFDCWD, "t", &ts, 0x4))
	say("utimensat missing", utimensat(atFDCWD, "missing", &ts, 0))
	_, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(cwdFD), ptr("t"), 8, 0, 0, 0)
	say("utimensat bad times", errOf(e))
	say("symlink", syscall.Symlink("t", "tlink"))
	say("utimensat nofollow", utimensat(atFDCWD, "tlink", &ts, atSymlinkNofollw))
	fmt.Printf("link: %s\n", times("tlink"))
	fmt.Printf("target: %s\n", prefix(times("t"), len("atime 1000000000.000000005")))
	fd, _ := syscall.Open("t", syscall.O_RDONLY, 0)
	say("futimens", utimensat(fd, "\x00", &ts, 0))
	syscall.Close(fd)
	fmt.Println(times("t"))
	say("futimens bad fd", utimensat(99, "\x00", &ts, 0))
	tv := []syscall.Timeval{{Sec: 1100000000, Usec: 3}, {Sec: 1200000000, Usec: 4}}
	say("utimes", syscall.Utimes("t", tv))
	fmt.Println(times("t"))
	tv[0].Usec = 1000000
	say("utimes usec 1e6", syscall.Utimes("t", tv))
	tv[0].Usec = 0
	say("futimesat", syscall.Futimesat(atFDCWD, "t", tv))
	say("futimesat missing", syscall.Futimesat(atFDCWD, "missing", tv))
	buf := syscall.Utimbuf{Actime: 1300000000, Modtime: 1400000000}
	say("utime", syscall.Utime("t", &buf))
	fmt.Println(times("t"))
}

func owner(name string) string {
	var st syscall.Stat_t
	if err := syscall.Lstat(name, &st); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("uid==%v gid==%v", int(st.Uid) == os.Getuid(), int(st.Gid) == os.Getgid())
}

func probeChown() {
	create("o", "")
	uid, gid := os.Getuid(), os.Getgid()
	say("chown self", syscall.Chown("o", uid, gid))
	say("chown -1 -1", syscall.Chown("o", -1, -1))
	fmt.Println(owner("o"))
	say("chown missing", syscall.Chown("missing", uid, gid))
	say("chown file/", syscall.Chown("o/", uid, gid))
	say("symlink", syscall.Symlink("nowhere", "olink"))
	say("lchown dangling", syscall.Lchown("olink", uid, gid))
	say("chown dangling", syscall.Chown("olink", uid, gid))
	fd, _ := syscall.Open("o", syscall.O_RDONLY, 0)
	say("fchown", syscall.Fchown(fd, uid, -1))
	syscall.Close(fd)
	say("fchown bad fd", syscall.Fchown(99, uid, gid))
	say("fchownat", syscall.Fchownat(atFDCWD, "o", uid, gid, 0))
	say("fchownat nofollow", syscall.Fchownat(atFDCWD, "olink", uid, gid, atSymlinkNofollw))
	say("fchownat bad flags", syscall.Fchownat(atFDCWD, "o", uid, gid, 0x1))
	if uid != 0 {
		say("chown to root", syscall.Chown("o", 0, 0))
	} else {
		say("chown to 4242", syscall.Chown("o", 4242, 4343))
		var st syscall.Stat_t
		syscall.Stat("o", &st)
		fmt.Printf("owner: %d %d\n", st.Uid, st.Gid)
	}
}

func probeGroups() {
	n, _, e := syscall.RawSyscall(syscall.SYS_GETGROUPS, 0, 0, 0)
	sayRaw("getgroups 0", n, e)
	list := make([]uint32, n+1)
	m, _, e := syscall.RawSyscall(syscall.SYS_GETGROUPS, uintptr(len(list)), uintptr(unsafe.Pointer(&list[0])), 0)
	fmt.Printf("getgroups n: same count %v %v\n", m == n, e)
	_, _, e = syscall.RawSyscall(syscall.SYS_GETGROUPS, ^uintptr(0), 0, 0)
	say("getgroups -1", errOf(e))
	if n > 0 {
		_, _, e = syscall.RawSyscall(syscall.SYS_GETGROUPS, n-1, uintptr(unsafe.Pointer(&list[0])), 0)
		say("getgroups too small", errOf(e))
		_, _, e = syscall.RawSyscall(syscall.SYS_GETGROUPS, n, 8, 0)
		say("getgroups bad buffer", errOf(e))
	}
	_, _, e = syscall.RawSyscall(syscall.SYS_SETGROUPS, 2, uintptr(unsafe.Pointer(&[]uint32{7, 8}[0])), 0)
	say("setgroups 7 8", errOf(e))
	got, _ := syscall.Getgroups()
	if os.Geteuid() == 0 {
		fmt.Printf("groups now: %v\n", got)
	}
	_, _, e = syscall.RawSyscall(syscall.SYS_SETGROUPS, ^uintptr(0), 0, 0)
	say("setgroups -1", errOf(e))
	_, _, e = syscall.RawSyscall(syscall.SYS_SETGROUPS, 1, 8, 0)
	say("setgroups bad pointer", errOf(e))
	if n > 0 {
		_, _, e = syscall.RawSyscall(syscall.SYS_SETGROUPS, n, uintptr(unsafe.Pointer(&list[0])), 0)
		say("setgroups back", errOf(e))
	}
}

func probeChmod() {
	create("c", "")
	say("symlink", syscall.Symlink("c", "clink"))
	chmod2 := func(path string, m, flags int) error {
		_, _, e := syscall.Syscall6(sysFchmodat2, uintptr(cwdFD), ptr(path), uintptr(m), uintptr(flags), 0, 0)
		return errOf(e)
	}
	say("fchmodat2", chmod2("c", 0600, 0))
	fmt.Printf("mode: %s\n", mode("c"))
	say("fchmodat2 nofollow file", chmod2("c", 0640, atSymlinkNofollw))
	fmt.Printf("mode: %s\n", mode("c"))
	say("fchmodat2 nofollow link", chmod2("clink", 0600, atSymlinkNofollw))
	say("fchmodat2 follow link", chmod2("clink", 0604, 0))
	fmt.Printf("mode: %s\n", mode("c"))
	say("fchmodat2 bad flags", chmod2("c", 0600, 0x2))
	say("fchmodat2 missing", chmod2("missing", 0600, 0))
	fd, _ := syscall.Open("c", syscall.O_RDONLY, 0)
	_, _, e := syscall.Syscall6(sysFchmodat2, uintptr(fd), ptr(""), 0644, atEmptyPath, 0, 0)
	say("fchmodat2 empty path", errOf(e))
	syscall.Close(fd)
	fmt.Printf("mode: %s\n", mode("c"))
}

func probeMknod() {
	syscall.Umask(0022)
	say("mknod fifo", syscall.Mknod("fifo", syscall.S_IFIFO|0666, 0))
	fmt.Printf("mode: %s\n", mode("fifo"))
	say("mknod fifo again", syscall.Mknod("fifo", syscall.S_IFIFO|0666, 0))
	say("mknodat regular", syscall.Mknodat(atFDCWD, "reg", 0600, 0))
	fmt.Printf("mode: %s\n", mode("reg"))
	say("mknodat type 0", syscall.Mknodat(atFDCWD, "reg0", 0644, 0))
	fmt.Printf("mode: %s\n", mode("reg0"))
	say("mknod dir", syscall.Mknod("dir", syscall.S_IFDIR|0755, 0))
	say("mknod bad type", syscall.Mknod("bad", 0170000|0644, 0))
	say("mknod missing dir", syscall.Mknod("missing/fifo", syscall.S_IFIFO|0644, 0))
	// An open for writing waits for a reader (here a goroutine that
	// opens the other end a little later); non-blocking, it is ENXIO.
	_, err := syscall.Open("fifo", syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	say("open fifo for writing, non-blocking, no reader", err)
	opened, written := make(chan error), make(chan bool)
	go func() {
		for i := 0; i < 1000; i++ {
			syscall.Getpid() // let the writer get into its open first
		}
		fd, err := syscall.Open("fifo", syscall.O_RDONLY, 0)
		opened <- err
		<-written // the reader stays until the write is done
		if err == nil {
			syscall.Close(fd)
		}
		close(opened)
	}()
	w, err := syscall.Open("fifo", syscall.O_WRONLY, 0)
	say("open fifo for writing, waiting for the reader", err)
	say("the reader's open", <-opened)
	if err == nil {
		n, err := syscall.Write(w, []byte("x"))
		fmt.Printf("write to fifo: %d %v\n", n, errOf0(err))
		syscall.Close(w)
	}
	written <- true
	<-opened // and has closed its end
}

// errOf0 is err, or "ok".
func errOf0(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func probeMincore() {
	mem, err := syscall.Mmap(-1, 0, 2*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		fmt.Printf("mmap: %v\n", err)
		return
	}
	mem[0], mem[4096] = 1, 1
	vec := make([]byte, 2)
	base := uintptr(unsafe.Pointer(&mem[0]))
	mincore := func(addr, n uintptr, v uintptr) error {
		_, _, e := syscall.Syscall(syscall.SYS_MINCORE, addr, n, v)
		return errOf(e)
	}
	say("mincore", mincore(base, 2*4096, uintptr(unsafe.Pointer(&vec[0]))))
	fmt.Printf("vec: %v\n", vec)
	say("mincore unaligned", mincore(base+1, 1, uintptr(unsafe.Pointer(&vec[0]))))
	say("mincore zero length", mincore(base, 0, 8))
	say("mincore bad vector", mincore(base, 4096, 8))
	syscall.Munmap(mem)
	say("mincore unmapped", mincore(base, 4096, uintptr(unsafe.Pointer(&vec[0]))))
	say("mincore kernel address", mincore(^uintptr(0)&^4095, 4096, uintptr(unsafe.Pointer(&vec[0]))))
}

func copyRange(in int, inOff *int64, out int, outOff *int64, n int, flags int) (int, error) {
	r, _, e := syscall.Syscall6(sysCopyFileRange, uintptr(in), uintptr(unsafe.Pointer(inOff)),
		uintptr(out), uintptr(unsafe.Pointer(outOff)), uintptr(n), uintptr(flags))
	return int(r), errOf(e)
}

func probeCopy() {
	create("src", "0123456789")
	in, _ := syscall.Open("src", syscall.O_RDONLY, 0)
	out, _ := syscall.Open("dst", syscall.O_CREAT|syscall.O_RDWR, 0644)
	n, err := copyRange(in, nil, out, nil, 4, 0)
	fmt.Printf("copy 4: %d %v\n", n, err)
	off, off2 := int64(6), int64(2)
	n, err = copyRange(in, &off, out, &off2, 100, 0)
	fmt.Printf("copy at offsets: %d %v, offsets now %d %d\n", n, err, off, off2)
	pos, _ := syscall.Seek(in, 0, 1)
	fmt.Printf("src position: %d\n", pos)
	buf := make([]byte, 32)
	n, err = syscall.Pread(out, buf, 0)
	if err != nil {
		n = 0
	}
	fmt.Printf("dst: %q %v\n", buf[:n], err)
	off = 100
	n, err = copyRange(in, &off, out, nil, 4, 0)
	fmt.Printf("copy at EOF: %d %v\n", n, err)
	_, err = copyRange(in, nil, out, nil, 4, 1)
	say("copy flags", err)
	_, err = copyRange(out+10, nil, out, nil, 4, 0)
	say("copy bad fd", err)
	_, err = copyRange(out, nil, in, nil, 4, 0)
	say("copy to read-only", err)
	d, _ := syscall.Open(".", syscall.O_RDONLY, 0)
	_, err = copyRange(d, nil, out, nil, 4, 0)
	say("copy from directory", err)
	var p [2]int
	syscall.Pipe(p[:])
	_, err = copyRange(p[0], nil, out, nil, 4, 0)
	say("copy from pipe", err)
	_, err = copyRange(p[0], nil, p[1], nil, 4, 0)
	say("copy pipe to pipe", err)
	_, err = copyRange(in, nil, p[1], nil, 4, 0)
	say("copy to pipe", err)
	fl, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(p[1]), syscall.F_GETFL, 0)
	fmt.Printf("pipe write end F_GETFL: %#x\n", fl)
	a, b := int64(0), int64(2)
	_, err = copyRange(out, &a, out, &b, 4, 0)
	say("copy overlapping", err)
	a = -1
	_, err = copyRange(in, &a, out, nil, 4, 0)
	say("copy negative offset", err)
	for _, fd := range []int{in, out, d, p[0], p[1]} {
		syscall.Close(fd)
	}
}

func probeAccess() {
	create("a", "")
	say("symlink dangling", syscall.Symlink("nowhere", "alink"))
	access2 := func(path string, m, flags int) error {
		_, _, e := syscall.Syscall6(sysFaccessat2, uintptr(cwdFD), ptr(path), uintptr(m), uintptr(flags), 0, 0)
		return errOf(e)
	}
	say("faccessat2 R_OK", access2("a", 4, 0))
	say("faccessat2 W_OK eaccess", access2("a", 2, atEaccess))
	say("faccessat2 dangling", access2("alink", 0, 0))
	say("faccessat2 dangling nofollow", access2("alink", 0, atSymlinkNofollw))
	say("faccessat2 bad flags", access2("a", 0, 0x1))
	say("faccessat2 bad mode", access2("a", 8, 0))
	say("faccessat2 missing", access2("missing", 0, 0))
	fd, _ := syscall.Open("a", syscall.O_RDONLY, 0)
	_, _, e := syscall.Syscall6(sysFaccessat2, uintptr(fd), ptr(""), 4, atEmptyPath, 0, 0)
	say("faccessat2 empty path", errOf(e))
	syscall.Close(fd)
}

func statx(dirfd int, path string, flags, mask int) string {
	var b [256]byte
	_, _, e := syscall.Syscall6(sysStatx, uintptr(dirfd), ptr(path), uintptr(flags), uintptr(mask), uintptr(unsafe.Pointer(&b[0])), 0)
	if e != 0 {
		return e.Error()
	}
	u32 := func(o int) uint32 { return *(*uint32)(unsafe.Pointer(&b[o])) }
	u64 := func(o int) uint64 { return *(*uint64)(unsafe.Pointer(&b[o])) }
	return fmt.Sprintf("mask&basic %#x nlink %d mode %o size %d mtime %d", u32(0)&0x7ff, u32(16),
		*(*uint16)(unsafe.Pointer(&b[28])), u64(40), u64(112))
}

func probeStatx() {
	create("s", "12345")
	syscall.Utimes("s", []syscall.Timeval{{Sec: 1000}, {Sec: 2000}})
	syscall.Chmod("s", 0640)
	fmt.Printf("statx: %s\n", statx(atFDCWD, "s", 0, 0x7ff))
	say("symlink", syscall.Symlink("s", "slink"))
	fmt.Printf("statx link nofollow: %s\n", prefix(statx(atFDCWD, "slink", atSymlinkNofollw, 0x7ff), 30))
	fmt.Printf("statx link: %s\n", statx(atFDCWD, "slink", 0, 0x7ff))
	fd, _ := syscall.Open("s", syscall.O_RDONLY, 0)
	fmt.Printf("statx empty path: %s\n", statx(fd, "", atEmptyPath, 0x7ff))
	syscall.Close(fd)
	fmt.Printf("statx missing: %s\n", statx(atFDCWD, "missing", 0, 0x7ff))
	fmt.Printf("statx bad flags: %s\n", statx(atFDCWD, "s", 0x1, 0x7ff))
	fmt.Printf("statx sync both: %s\n", statx(atFDCWD, "s", 0x6000, 0x7ff))
	fmt.Printf("statx reserved mask: %s\n", statx(atFDCWD, "s", 0, 0x80000000))
	fmt.Printf("statx empty: %s\n", statx(atFDCWD, "", 0, 0x7ff))
}

func probeCloseRange() {
	var fds []int
	for i := 0; i < 4; i++ {
		fd, _ := syscall.Open(".", syscall.O_RDONLY, 0)
		fds = append(fds, fd)
	}
	closeRange := func(first, last uint, flags int) error {
		_, _, e := syscall.Syscall(sysCloseRange, uintptr(first), uintptr(last), uintptr(flags))
		return errOf(e)
	}
	say("close_range cloexec", closeRange(uint(fds[0]), uint(fds[1]), 4))
	for _, fd := range fds[:2] {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		sayRaw("F_GETFD", r, e)
	}
	say("close_range", closeRange(uint(fds[1]), ^uint(0)>>32, 0))
	for _, fd := range fds {
		_, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		say("F_GETFD after", errOf(e))
	}
	say("close_range first > last", closeRange(5, 4, 0))
	say("close_range bad flags", closeRange(uint(fds[0]), uint(fds[0]), 1))
	say("close_range unshare", closeRange(uint(fds[0]), uint(fds[0]), 2))
	_, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[0]), syscall.F_GETFD, 0)
	say("F_GETFD after unshare", errOf(e))
}

func probeRlimit() {
	var r syscall.Rlimit
	say("getrlimit NOFILE", syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r))
	fmt.Printf("soft <= hard: %v, at least 1200: %v\n", r.Cur <= r.Max, r.Cur >= 1200)
	old := r
	say("setrlimit soft > hard", syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: r.Max + 1, Max: r.Max}))
	say("setrlimit soft 8", syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: 8, Max: r.Max}))
	var opened []int
	var err error
	for i := 0; i < 20; i++ {
		var fd int
		if fd, err = syscall.Open(".", syscall.O_RDONLY, 0); err != nil {
			break
		}
		opened = append(opened, fd)
	}
	// Which descriptors were free depends on the runtime (go1.25 and later
	// keep the host's cgroup files open), so only the last one is shown.
	last := -1
	if len(opened) > 0 {
		last = opened[len(opened)-1]
	}
	fmt.Printf("last opened: %d, then %v\n", last, err)
	err = syscall.Dup2(0, 9)
	say("dup2 to 9", err)
	for _, fd := range opened {
		syscall.Close(fd)
	}
	say("setrlimit back", syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old))
	_, _, e := syscall.RawSyscall(syscall.SYS_GETRLIMIT, 99, uintptr(unsafe.Pointer(&r)), 0)
	say("getrlimit 99", errOf(e))
	_, _, e = syscall.RawSyscall(syscall.SYS_GETRLIMIT, syscall.RLIMIT_NOFILE, 8, 0)
	say("getrlimit bad pointer", errOf(e))
}

// probeKeepCaps sets and reads PR_SET_KEEPCAPS, which Go's
// AllThreadsSyscall tests toggle on every thread.
func probeKeepCaps() {
	const getKeepCaps, setKeepCaps = 7, 8
	for _, v := range []uintptr{1, 0, 2} {
		_, _, e := syscall.Syscall(syscall.SYS_PRCTL, setKeepCaps, v, 0)
		r, _, _ := syscall.Syscall(syscall.SYS_PRCTL, getKeepCaps, 0, 0)
		fmt.Printf("keepcaps set %d: %v, now %d\n", v, errOf(e), r)
	}
}

// probeDeep makes a tree deeper than PATH_MAX (41 directories of 100
// characters, by chdir and mkdir), walks down it through directory
// descriptors checking that every entry getdents64 lists has an inode
// (go1.19's os.RemoveAll skips entries whose d_ino is 0), and removes it
// bottom-up with unlinkat. Only package syscall: the os package would
// start the runtime's poller, whose descriptors close_range closes later.
func probeDeep() {
	start := cwd()
	say("mkdir deep", syscall.Mkdir("deep", 0755))
	say("chdir deep", syscall.Chdir("deep"))
	name := strings.Repeat("d", 100)
	for i := 0; i < 41; i++ {
		if err := syscall.Mkdir(name, 0755); err != nil {
			say("mkdir level", err)
			break
		}
		if err := syscall.Chdir(name); err != nil {
			say("chdir level", err)
			break
		}
	}
	say("chdir back", syscall.Chdir(start))
	fd, err := syscall.Open("deep", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	say("open deep", err)
	fds, entries, noInode := []int{fd}, 0, 0
	for {
		buf := make([]byte, 4096)
		n, err := syscall.Getdents(fd, buf)
		if err != nil {
			say("getdents", err)
			break
		}
		child := false
		for off := 0; off < n; {
			ino := *(*uint64)(unsafe.Pointer(&buf[off]))
			reclen := int(*(*uint16)(unsafe.Pointer(&buf[off+16])))
			entries++
			if ino == 0 {
				noInode++
			}
			if buf[off+19] == 'd' {
				child = true
			}
			off += reclen
		}
		if !child {
			break
		}
		if fd, err = syscall.Openat(fd, name, syscall.O_RDONLY|syscall.O_DIRECTORY, 0); err != nil {
			say("openat level", err)
			break
		}
		fds = append(fds, fd)
	}
	fmt.Printf("levels %d, entries %d, without an inode %d\n", len(fds), entries, noInode)
	failed := 0
	for i := len(fds) - 2; i >= 0; i-- {
		if err := unlinkat(fds[i], name, atRemoveDir); err != nil {
			failed++
		}
	}
	for _, fd := range fds {
		syscall.Close(fd)
	}
	fmt.Printf("rmdir failures: %d\n", failed)
	say("rmdir deep", syscall.Rmdir("deep"))
}

const atRemoveDir = 0x200

func unlinkat(dirfd int, path string, flags int) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	_, _, e := syscall.Syscall(syscall.SYS_UNLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(flags))
	return errOf(e)
}
