package syscalls

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// setAction installs a handler through rt_sigaction, as the guest would.
func setAction(t *testing.T, tk *testKernel, sig int, handler, flags, restorer, mask uint64) {
	t.Helper()
	b := tk.m.mem[0xf000:0xf020]
	binary.LittleEndian.PutUint64(b[0:], handler)
	binary.LittleEndian.PutUint64(b[8:], flags)
	binary.LittleEndian.PutUint64(b[16:], restorer)
	binary.LittleEndian.PutUint64(b[24:], mask)
	if got := tk.call(t, "rt_sigaction", uint64(sig), 0x1f000, 0, 8); got != 0 {
		t.Fatalf("rt_sigaction = %#x, want 0", got)
	}
}

func u64(b []byte, off uint64) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// TestSignalFrameLayout checks the frame against the offsets Go's runtime
// reads (runtime/defs_linux_amd64.go: ucontext, mcontext gregs, siginfo).
func TestSignalFrameLayout(t *testing.T) {
	tk := newTestKernel()
	const handler, restorer = 0x401000, 0x402000
	setAction(t, tk, abi.SIGSEGV, handler, abi.SA_SIGINFO|abi.SA_ONSTACK|abi.SA_RESTORER|abi.SA_RESTART, restorer, 0)
	regs := Regs{RAX: 1, RBX: 2, RCX: 3, RDX: 4, RSI: 5, RDI: 6, RBP: 7, RSP: 0x1c000, R8: 8, R15: 15,
		RIP: 0x45a9c0, EFLAGS: 0x246}
	info := SigInfo{Signo: abi.SIGSEGV, Code: abi.SEGV_MAPERR, Addr: 0x8}
	h, err := tk.BuildFrame(tk.m, Pid, info, regs)
	if err != nil {
		t.Fatal(err)
	}
	frame := h.RSP
	if (frame+8)%16 != 0 {
		t.Errorf("handler RSP = %#x, want RSP+8 16-byte aligned", frame)
	}
	if frame >= regs.RSP-redZone {
		t.Errorf("frame at %#x overlaps the red zone below RSP %#x", frame, regs.RSP)
	}
	if h.RIP != handler || h.RDI != abi.SIGSEGV || h.RSI != frame+siginfoOff || h.RDX != frame+ucOff {
		t.Errorf("handler regs RIP %#x RDI %d RSI %#x RDX %#x, want %#x %d %#x %#x",
			h.RIP, h.RDI, h.RSI, h.RDX, handler, abi.SIGSEGV, frame+siginfoOff, frame+ucOff)
	}
	mem := tk.m.mem[frame-tk.m.base:]
	checks := []struct {
		name string
		off  uint64
		want uint64
	}{
		{"return address (sa_restorer)", 0, restorer},
		{"gregs[REG_R8]", ucOff + 40 + 0*8, 8},
		{"gregs[REG_R15]", ucOff + 40 + 7*8, 15},
		{"gregs[REG_RDI]", ucOff + 40 + 8*8, 6},
		{"gregs[REG_RAX]", ucOff + 40 + 13*8, 1},
		{"gregs[REG_RSP]", ucOff + 40 + 15*8, 0x1c000},
		{"gregs[REG_RIP]", ucOff + 40 + 16*8, 0x45a9c0},
		{"gregs[REG_EFL]", ucOff + 40 + 17*8, 0x246},
		{"gregs[REG_CR2]", ucOff + 40 + 22*8, 0},
		{"uc_sigmask (mask before delivery)", ucOff + 296, 0},
		{"siginfo si_signo|si_errno", siginfoOff, abi.SIGSEGV},
		{"siginfo si_code", siginfoOff + 8, abi.SEGV_MAPERR},
		{"siginfo si_addr", siginfoOff + 16, 0x8},
	}
	for _, c := range checks {
		if got := u64(mem, c.off); got != c.want {
			t.Errorf("%s at frame+%d = %#x, want %#x", c.name, c.off, got, c.want)
		}
	}
	if fp := u64(mem, ucOff+40+23*8); fp%64 != 0 || fp <= frame {
		t.Errorf("fpstate pointer %#x, want 64-byte aligned above the frame", fp)
	}
	// The handler runs with the signal blocked (no SA_NODEFER).
	if !tk.Blocks(Pid, abi.SIGSEGV) {
		t.Error("SIGSEGV not blocked while its handler runs")
	}

	// The handler rewrites RIP, as Go's sigpanic injection does; sigreturn
	// (RSP = frame+8 after the handler's ret) must resume there.
	binary.LittleEndian.PutUint64(mem[ucOff+40+16*8:], 0x433000)
	r, err := tk.Sigreturn(tk.m, Pid, frame+8, h)
	if err != nil {
		t.Fatal(err)
	}
	want := regs
	want.RIP = 0x433000
	if r != want {
		t.Errorf("sigreturn regs = %+v, want %+v", r, want)
	}
	if tk.Blocks(Pid, abi.SIGSEGV) {
		t.Error("SIGSEGV still blocked after sigreturn restored the mask")
	}
}

func TestAltStackAndFlags(t *testing.T) {
	tk := newTestKernel()
	// sigaltstack({ss_sp=0x14000, ss_flags=0, ss_size=0x4000})
	binary.LittleEndian.PutUint64(tk.m.mem[0xe000:], 0x14000)
	binary.LittleEndian.PutUint64(tk.m.mem[0xe010:], 0x4000)
	tk.m.rsp = 0x1f800
	if got := tk.call(t, "sigaltstack", 0x1e000, 0); got != 0 {
		t.Fatalf("sigaltstack = %#x, want 0", got)
	}
	setAction(t, tk, abi.SIGURG, 0x401000, abi.SA_SIGINFO|abi.SA_ONSTACK|abi.SA_RESTORER|abi.SA_NODEFER|abi.SA_RESETHAND, 0x402000, 1<<(abi.SIGUSR1-1))
	h, err := tk.BuildFrame(tk.m, Pid, SigInfo{Signo: abi.SIGURG, Code: abi.SI_TKILL, Pid: Pid}, Regs{RSP: 0x1f800})
	if err != nil {
		t.Fatal(err)
	}
	if h.RSP < 0x14000 || h.RSP >= 0x18000 {
		t.Errorf("handler RSP = %#x, want it on the alternate stack [0x14000, 0x18000)", h.RSP)
	}
	if tk.Blocks(Pid, abi.SIGURG) || !tk.Blocks(Pid, abi.SIGUSR1) {
		t.Errorf("during the handler: SIGURG blocked %v (want false, SA_NODEFER), SIGUSR1 blocked %v (want true, sa_mask)",
			tk.Blocks(Pid, abi.SIGURG), tk.Blocks(Pid, abi.SIGUSR1))
	}
	if d := tk.Disposition(abi.SIGURG); d != Ignore {
		t.Errorf("after SA_RESETHAND, SIGURG disposition = %v, want Ignore (SIG_DFL)", d)
	}
	si := tk.m.mem[h.RSI-tk.m.base:]
	if code, pid := int32(binary.LittleEndian.Uint32(si[8:])), binary.LittleEndian.Uint32(si[16:]); code != abi.SI_TKILL || pid != Pid {
		t.Errorf("siginfo code %d pid %d, want SI_TKILL %d", code, pid, Pid)
	}
}

func TestPendingOrderAndDisposition(t *testing.T) {
	tk := newTestKernel()
	setAction(t, tk, abi.SIGUSR1, 0x401000, abi.SA_SIGINFO|abi.SA_RESTORER|abi.SA_RESTART, 0x402000, 0)
	setAction(t, tk, abi.SIGUSR2, 0x401000, abi.SA_SIGINFO|abi.SA_RESTORER, 0x402000, 0)
	tk.SendProcess(abi.SIGUSR2, SigInfo{Code: abi.SI_USER})
	tk.SendThread(Pid, abi.SIGUSR1, SigInfo{Code: abi.SI_TKILL})
	tk.SendThread(Pid, abi.SIGCHLD, SigInfo{Code: abi.SI_USER}) // default: ignored
	if got := tk.Deliverable(Pid); got != abi.SIGUSR1 {
		t.Fatalf("Deliverable = %d, want SIGUSR1 (lowest)", got)
	}
	var got []int
	for {
		info, ok := tk.Dequeue(Pid)
		if !ok {
			break
		}
		got = append(got, info.Signo)
	}
	if len(got) != 2 || got[0] != abi.SIGUSR1 || got[1] != abi.SIGUSR2 {
		t.Fatalf("dequeued %v, want [SIGUSR1 SIGUSR2] (SIGCHLD ignored)", got)
	}
	if !tk.Restarts(abi.SIGUSR1) || tk.Restarts(abi.SIGUSR2) {
		t.Errorf("Restarts: SIGUSR1 %v (SA_RESTART, want true), SIGUSR2 %v (want false)", tk.Restarts(abi.SIGUSR1), tk.Restarts(abi.SIGUSR2))
	}
	// A blocked signal stays pending.
	binary.LittleEndian.PutUint64(tk.m.mem[0xd000:], 1<<(abi.SIGUSR1-1))
	tk.call(t, "rt_sigprocmask", abi.SIG_BLOCK, 0x1d000, 0, 8)
	tk.SendThread(Pid, abi.SIGUSR1, SigInfo{})
	if sig := tk.Deliverable(Pid); sig != 0 {
		t.Errorf("Deliverable with SIGUSR1 blocked = %d, want 0", sig)
	}
	if d := tk.Disposition(abi.SIGTERM); d != Terminate {
		t.Errorf("SIGTERM with SIG_DFL: disposition %v, want Terminate", d)
	}
	// A synchronous fault that is blocked is forced to its default action.
	tk.call(t, "rt_sigprocmask", abi.SIG_BLOCK, 0x1d000, 0, 8)
	tk.ForceSynchronous(Pid, abi.SIGUSR1)
	if d := tk.Disposition(abi.SIGUSR1); d != Terminate {
		t.Errorf("forced blocked signal: disposition %v, want Terminate", d)
	}
}

// TestInterruptedCall checks which sleeping calls a handler with
// SA_RESTART restarts (Linux's -ERESTARTSYS) and which fail with EINTR
// anyway (-ERESTART_RESTARTBLOCK, -ERESTARTNOHAND), and that without
// SA_RESTART every one fails with EINTR.
func TestInterruptedCall(t *testing.T) {
	const ts = 0x10100 // a timespec of 1 s
	tests := []struct {
		name    string
		call    string
		args    func(tk *testKernel) []uint64
		restart bool
	}{
		{"futex wait without timeout", "futex", func(*testKernel) []uint64 { return []uint64{0x10040, abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, 0} }, true},
		{"futex wait with a timeout", "futex", func(*testKernel) []uint64 { return []uint64{0x10040, abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, 0, ts} }, false},
		{"nanosleep", "nanosleep", func(*testKernel) []uint64 { return []uint64{ts, 0} }, false},
		{"clock_nanosleep", "clock_nanosleep", func(*testKernel) []uint64 { return []uint64{abi.CLOCK_MONOTONIC, 0, ts, 0} }, false},
		{"epoll_pwait", "epoll_pwait", func(tk *testKernel) []uint64 {
			return []uint64{tk.call(t, "epoll_create1", 0), 0x10200, 8, uint64(0xffffffff)}
		}, false},
	}
	for _, saRestart := range []bool{true, false} {
		for _, tt := range tests {
			tk := newTestKernel()
			flags := uint64(abi.SA_SIGINFO | abi.SA_RESTORER)
			if saRestart {
				flags |= abi.SA_RESTART
			}
			setAction(t, tk, abi.SIGURG, 0x401000, flags, 0x402000, 0)
			tk.m.putU32(0x10040, 0)
			binary.LittleEndian.PutUint64(tk.m.mem[ts-tk.m.base:], 1)
			_, w := tk.dispatch(t, tt.call, tt.args(tk)...)
			if w == nil {
				t.Fatalf("%s did not sleep", tt.name)
			}
			want := tt.restart && saRestart
			wantRAX := neg(abi.EINTR)
			if want {
				wantRAX = uint64(w.call.Nr) // re-executed: RAX is the number again
			}
			rax, restart := tk.Interrupted(w, abi.SIGURG)
			if restart != want || rax != wantRAX {
				t.Errorf("%s interrupted (SA_RESTART %v): got rax %#x restart %v, want %#x %v", tt.name, saRestart, rax, restart, wantRAX, want)
			}
		}
	}
}

// TestSignalFrameFPState checks the frame's fpstate against the FXSAVE
// layout Go's runtime reads (runtime/defs_linux_amd64.go: fpstate1 with
// _xmm at 160) and that rt_sigreturn resumes with what the handler left
// there, as Linux's FXRSTOR of the frame does.
func TestSignalFrameFPState(t *testing.T) {
	tk := newTestKernel()
	setAction(t, tk, abi.SIGTRAP, 0x401000, abi.SA_SIGINFO|abi.SA_RESTORER, 0x402000, 0)
	regs := Regs{RSP: 0x1c000, RIP: 0x45a9c0, FP: FPState{
		FCW: 0x27f, FSW: 0x3800, FTW: 0x80, FOP: 0x123, FIP: 0x401234, FDP: 0xc000010000, MXCSR: 0x3f80,
	}}
	for i := range regs.FP.ST {
		for j := range regs.FP.ST[i] {
			regs.FP.ST[i][j] = byte(0x80 + 16*i + j)
		}
	}
	for i := range regs.FP.XMM {
		for j := range regs.FP.XMM[i] {
			regs.FP.XMM[i][j] = byte(16*i + j)
		}
	}
	h, err := tk.BuildFrame(tk.m, Pid, SigInfo{Signo: abi.SIGTRAP, Code: abi.TRAP_BRKPT}, regs)
	if err != nil {
		t.Fatal(err)
	}
	if h.FP != InitFPState {
		t.Errorf("handler starts with FP state %+v, want Linux's init state %+v", h.FP, InitFPState)
	}
	frame := h.RSP
	fp := u64(tk.m.mem[frame-tk.m.base:], ucOff+fpstatePtr)
	if fp%64 != 0 || fp < frame+frameSize || fp+fpstateSize > regs.RSP-redZone {
		t.Fatalf("fpstate pointer %#x, want 64-byte aligned between the frame end %#x and the red zone %#x",
			fp, frame+frameSize, regs.RSP-redZone)
	}
	img := tk.m.mem[fp-tk.m.base : fp-tk.m.base+fpstateSize]
	le := binary.LittleEndian
	fields := []struct {
		name      string
		got, want uint64
	}{
		{"cwd (FCW) at 0", uint64(le.Uint16(img[0:])), 0x27f},
		{"swd (FSW) at 2", uint64(le.Uint16(img[2:])), 0x3800},
		{"ftw (abridged) at 4", uint64(img[4]), 0x80},
		{"fop at 6", uint64(le.Uint16(img[6:])), 0x123},
		{"rip (FIP) at 8", le.Uint64(img[8:]), 0x401234},
		{"rdp (FDP) at 16", le.Uint64(img[16:]), 0xc000010000},
		{"mxcsr at 24", uint64(le.Uint32(img[24:])), 0x3f80},
		{"mxcsr_mask at 28", uint64(le.Uint32(img[28:])), MXCSRMask},
		{"st0 bytes 0-7 at 32", le.Uint64(img[32:]), le.Uint64(regs.FP.ST[0][:])},
		{"st7 bytes 8-9 at 32+7*16+8", uint64(le.Uint16(img[32+7*16+8:])), uint64(le.Uint16(regs.FP.ST[7][8:]))},
		{"st0 padding at 42", uint64(le.Uint32(img[42:])), 0},
		{"sw_reserved.magic1 at 464", uint64(le.Uint32(img[464:])), 0},
	}
	for i := 0; i < 16; i++ {
		fields = append(fields,
			struct {
				name      string
				got, want uint64
			}{fmt.Sprintf("xmm%d low at %d", i, 160+16*i), le.Uint64(img[160+16*i:]), le.Uint64(regs.FP.XMM[i][:])},
			struct {
				name      string
				got, want uint64
			}{fmt.Sprintf("xmm%d high at %d", i, 168+16*i), le.Uint64(img[168+16*i:]), le.Uint64(regs.FP.XMM[i][8:])})
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("fpstate %s = %#x, want %#x", f.name, f.got, f.want)
		}
	}
	for i, b := range img[464:] {
		if b != 0 {
			t.Errorf("fpstate sw_reserved byte %d = %#x, want 0 (no XSAVE extended state)", i, b)
			break
		}
	}

	// The handler changes XMM0 and MXCSR, as debugCall's result and a
	// rounding-mode change would; sigreturn resumes with them.
	saved := append([]byte(nil), img...)
	cases := []struct {
		name   string
		edit   func(img, uc []byte)
		wantFP func(s *FPState)
		fail   bool
	}{
		{"unchanged", func(img, uc []byte) {}, func(s *FPState) {}, false},
		{"XMM0 and MXCSR", func(img, uc []byte) {
			le.PutUint64(img[160:], 0x4045800000000000) // 43.0
			le.PutUint32(img[24:], 0x7f80)
		}, func(s *FPState) {
			le.PutUint64(s.XMM[0][:], 0x4045800000000000)
			s.MXCSR = 0x7f80
		}, false},
		{"XMM15 and x87 control", func(img, uc []byte) {
			copy(img[160+15*16:], "0123456789abcdef")
			le.PutUint16(img[0:], 0x37f)
		}, func(s *FPState) {
			copy(s.XMM[15][:], "0123456789abcdef")
			s.FCW = 0x37f
		}, false},
		{"mxcsr_mask and sw_reserved are ignored", func(img, uc []byte) {
			le.PutUint32(img[28:], 0)
			le.PutUint32(img[464:], 0x46505853) // FP_XSTATE_MAGIC1
		}, func(s *FPState) {}, false},
		{"null fpstate resets", func(img, uc []byte) { le.PutUint64(uc[fpstatePtr:], 0) },
			func(s *FPState) { *s = InitFPState }, false},
		{"reserved MXCSR bit", func(img, uc []byte) { le.PutUint32(img[24:], 0x11f80) }, nil, true},
		{"misaligned fpstate", func(img, uc []byte) { le.PutUint64(uc[fpstatePtr:], fp+8) }, nil, true},
		{"unmapped fpstate", func(img, uc []byte) { le.PutUint64(uc[fpstatePtr:], 0x100000) }, nil, true},
	}
	ucSaved := append([]byte(nil), tk.m.mem[frame+ucOff-tk.m.base:frame+ucOff+ucSize-tk.m.base]...)
	for _, c := range cases {
		copy(img, saved)
		uc := tk.m.mem[frame+ucOff-tk.m.base : frame+ucOff+ucSize-tk.m.base]
		copy(uc, ucSaved)
		c.edit(img, uc)
		r, err := tk.Sigreturn(tk.m, Pid, frame+8, h)
		if c.fail {
			if err == nil {
				t.Errorf("%s: sigreturn succeeded with FP %+v, want an error (Linux raises SIGSEGV)", c.name, r.FP)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: sigreturn: %v", c.name, err)
			continue
		}
		want := regs.FP
		c.wantFP(&want)
		if r.FP != want {
			t.Errorf("%s: sigreturn FP state = %+v, want %+v", c.name, r.FP, want)
		}
	}
}
