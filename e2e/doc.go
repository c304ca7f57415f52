// Package e2e holds end-to-end tests that compare guests run natively and
// under gouth-emu. TestMain builds every guest in testdata/guests with each
// toolchain of testbin.Toolchains (go1.11.1, go1.19, the machine's,
// go1.27.3); guestNeeds lists the pairs that cannot work and why.
package e2e
