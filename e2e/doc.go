// Package e2e holds end-to-end tests that compare guests run natively and under gouth-emu.
package e2e
