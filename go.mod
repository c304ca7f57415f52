module github.com/gouth-emu/gouth-emu

go 1.26.8

require (
	github.com/chzyer/readline v1.5.1 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/knightsc/gapstone v4.0.1+incompatible // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	github.com/unicorn-engine/unicorn v0.0.0-20250911131444-c24c9ebe773c // indirect
	golang.org/x/arch v0.33.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
)
