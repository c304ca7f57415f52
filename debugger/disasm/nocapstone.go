//go:build !cgo || nocapstone

package disasm

// backendName names the decoder behind the Intel and AT&T syntaxes, for
// diagnostics and tests. Without cgo, or with the nocapstone build tag (the
// linux/arm64 build, which has no arm64 libcapstone to link; see
// tools/arm64.sh), there is no Capstone, so x86asm prints those syntaxes
// too.
const backendName = "x86asm"

// decodeNative decodes one instruction for the Intel and AT&T syntaxes.
func decodeNative(code []byte, pc uint64, syn Syntax, sym Symbolizer) (Inst, error) {
	return decodeX86asm(code, pc, syn, sym)
}
