// engine.h: the small C side of gouth-emu's machine. It holds what must run
// inside Unicorn without crossing into Go: the guest page table behind the
// virtual TLB, the physical page allocator, the preemption budget (counted
// by Unicorn's translated code itself, see tools/unicorn.patch), and the
// syscall stop.
#ifndef GOUTH_ENGINE_H
#define GOUTH_ENGINE_H

#include <stdint.h>
#include <stdbool.h>
#include <unicorn/unicorn.h>

// Page table entry bits. An entry is zero for unmapped or PROT_NONE pages.
#define PTE_R 1ull
#define PTE_W 2ull
#define PTE_X 4ull
#define PTE_PRESENT 8ull  // the guest may access the page with PTE_R/W/X
#define PTE_BACKED 16ull  // a physical page is assigned (bits 12..51)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

// Why uc_emu_start returned.
enum {
    STOP_NONE = 0,     // the engine returned by itself (error or until address)
    STOP_SYSCALL = 1,  // the thread executed syscall; sys_* hold its registers
    STOP_BUDGET = 2,   // the preemption budget ran out
    STOP_REQUEST = 3,  // the host asked (breakpoints, limits)
    STOP_INTR = 4,     // an interrupt or CPU exception (int3, #DE, #UD ...); intno says which
    STOP_BREAK = 5,    // a breakpoint; stop_pc is its address, not executed
    STOP_STEP = 6,     // a step finished; stop_pc is the next instruction
    STOP_WATCH = 8,    // a watched range changed; stop_pc is the next instruction
};

#define L1_BITS 17  // vaddr bits 46..30
#define L2_BITS 18  // vaddr bits 29..12

// The words Unicorn's translated code updates on entry to every block
// (uc_set_insn_account, from tools/unicorn.patch).
enum {
    ACCT_BUDGET = 0,  // instructions left; the engine stops before a block when <= 0
    ACCT_PC = 1,      // first address of the block being executed
    ACCT_COUNT = 2,   // its instructions, all counted when it was entered
    ACCT_BLOCKS = 3,  // blocks entered, ever
    ACCT_WORDS = 4,
};

// uc_set_insn_account is our addition to Unicorn (tools/unicorn.patch).
uc_err uc_set_insn_account(uc_engine *uc, int64_t *acct);

// A watched range of guest memory and its bytes when last accepted.
#define MAX_WATCHES 8
#define WATCH_MAX_LEN 256
typedef struct {
    uint64_t addr;
    uint32_t len;
    uint8_t old[WATCH_MAX_LEN];
} gouth_watch;

typedef struct gouth_engine {
    uc_engine *uc;
    uint64_t *l1[1u << L1_BITS];

    // Physical memory: one host mapping behind Unicorn's physical space.
    uint8_t *phys;
    uint64_t phys_size;
    uint64_t phys_next;   // bump allocator, bytes
    uint64_t *free_pages; // stack of freed physical addresses
    uint64_t free_len, free_cap;
    uint64_t committed;   // pages in use
    uint64_t commit_limit;
    uint64_t host_page;   // the host's page size (sysconf), a multiple of 4 KiB

    // Instruction accounting. Between runs, insns and budget are exact;
    // during a run the translated code updates acct (see ACCT_*).
    uint64_t insns;
    int64_t budget;
    int64_t run_budget;  // acct[ACCT_BUDGET] when the run started
    int64_t acct[ACCT_WORDS];

    // Stop state.
    int stop;
    uint64_t sys_nr, sys_args[6];

    // The last failed translation, for fault reports.
    uint64_t fault_addr;
    int fault_type;  // UC_MEM_READ, UC_MEM_WRITE, UC_MEM_FETCH
    int fault_oom;   // the page could not be backed: commit limit reached
    uint32_t intno;  // for STOP_INTR

    // The block being executed when the run stopped (for correcting counts
    // after a stop inside it: a block is counted whole when it is entered).
    uint64_t blk_addr;
    uint32_t blk_count;

    // Debugging. Breakpoints are bounded code hooks; stepping is one global
    // code hook, installed only while a step is in progress.
    uint64_t bp_skip;  // resume over the breakpoint at this address once
    uint64_t stop_pc;  // where a breakpoint or step stopped
    int step_active;   // count instructions for a step in this run
    int64_t step_left; // instructions still to execute before stopping
    uint64_t step_counted; // the instruction the step hook last counted
    uc_hook step_hook;
    int has_step_hook;

    // Watchpoints, checked by the step hook before every instruction while
    // any exist; watch_hit is the index of the one that changed.
    gouth_watch watches[MAX_WATCHES];
    int nwatches;
    int watch_hit;
} gouth_engine;

// What gouth_new could not do (*fail): reserve the guest's physical memory,
// map Unicorn's translation buffer (both with errno in *err_no), or set up
// the rest.
enum {
    GOUTH_FAIL_PHYS = 1,
    GOUTH_FAIL_TCG = 2,
    GOUTH_FAIL_OTHER = 3,
};

gouth_engine *gouth_new(uc_engine *uc, uint64_t phys_size, uint64_t tcg_size, char **err, int *fail, int *err_no);
void gouth_free(gouth_engine *g);
int gouth_tcg_size(gouth_engine *g, uint32_t *size);
int gouth_run(gouth_engine *g, uint64_t pc, int64_t budget);
void gouth_request_stop(gouth_engine *g);
uint64_t *gouth_pte(gouth_engine *g, uint64_t vaddr, bool create);
uint64_t gouth_back(gouth_engine *g, uint64_t *pte);
void gouth_set_range(gouth_engine *g, uint64_t start, uint64_t end, uint64_t perms);
void gouth_clear_range(gouth_engine *g, uint64_t start, uint64_t end);
void gouth_discard_range(gouth_engine *g, uint64_t start, uint64_t end);
void gouth_flush_tlb(gouth_engine *g);

int gouth_add_breakpoint(gouth_engine *g, uint64_t addr, uc_hook *h);
int gouth_del_breakpoint(gouth_engine *g, uc_hook h, uint64_t addr);
void gouth_drop_code(gouth_engine *g, uint64_t start, uint64_t end);
int gouth_step_hook(gouth_engine *g, int on);
int gouth_watch_changed(gouth_engine *g);
void gouth_watch_accept(gouth_engine *g, int i);

#endif
