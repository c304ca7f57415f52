#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// The guest's vsyscall page (go1.11 calls it when there is no vDSO) is
// translated to physical page 0, which holds three stubs that make the real
// system calls: gettimeofday, time and getcpu.
#define VSYSCALL_PAGE 0xffffffffff600000ull
#define PAGE 4096ull

static const uint8_t vsyscall_stub[] = {
    0xb8, 0x60, 0x00, 0x00, 0x00,  // mov eax, 96 (gettimeofday)
    0x0f, 0x05,                    // syscall
    0xc3,                          // ret
};
static const uint8_t vsyscall_time[] = {0xb8, 0xc9, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3};  // 201
static const uint8_t vsyscall_getcpu[] = {0xb8, 0x35, 0x01, 0x00, 0x00, 0x0f, 0x05, 0xc3}; // 309

// GOUTH_MIN_AS is the address space (RLIMIT_AS, ulimit -v) below which
// gouth-emu's own Go runtime cannot start: on 64-bit hosts it reserves
// about 1.1 GiB for its heap metadata before main runs. GOUTH_RUN_AS is
// what a run of a small guest takes: about 1.25 GiB for gouth-emu, 256 MiB
// of headroom, a 32 MiB translation buffer, the 128 MiB reservation of a
// 64 MiB guest, and 64 MiB to spare. Measured; see docs/ARCHITECTURE.md.
#ifndef GOUTH_MIN_AS
#define GOUTH_MIN_AS (1536ull << 20)
#endif
#define GOUTH_RUN_AS (1792ull << 20)

// gouth_host_init runs before the Go runtime starts (an ELF constructor),
// so that a ulimit -v too small for gouth-emu itself is one line and
// status 2 rather than a fatal error with a Go trace.
__attribute__((constructor)) static void gouth_host_init(void) {
#ifdef M_ARENA_MAX
    // One malloc arena instead of one per thread: every further arena
    // reserves 64 MiB of address space, which counts against ulimit -v.
    mallopt(M_ARENA_MAX, 1);
#endif
    struct rlimit r;
    if (getrlimit(RLIMIT_AS, &r) == 0 && r.rlim_cur != RLIM_INFINITY && r.rlim_cur < GOUTH_MIN_AS) {
        fprintf(stderr,
                "gouth-emu: ulimit -v is %llu, less than the %llu gouth-emu itself needs to start; "
                "raise it with ulimit -v %llu or more\n",
                (unsigned long long)r.rlim_cur >> 10, GOUTH_MIN_AS >> 10, GOUTH_RUN_AS >> 10);
        _exit(2);
    }
}

uint64_t *gouth_pte(gouth_engine *g, uint64_t vaddr, bool create) {
    if (vaddr >> 47) {
        return NULL;
    }
    uint64_t i1 = vaddr >> 30, i2 = (vaddr >> 12) & ((1u << L2_BITS) - 1);
    uint64_t *l2 = g->l1[i1];
    if (!l2) {
        if (!create) {
            return NULL;
        }
        // Leaf tables come from mmap, so untouched parts cost no host memory.
        l2 = mmap(NULL, (1u << L2_BITS) * 8, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (l2 == MAP_FAILED) {
            return NULL;
        }
        g->l1[i1] = l2;
    }
    return &l2[i2];
}

static uint64_t phys_alloc(gouth_engine *g) {
    if (g->committed >= g->commit_limit) {
        return 0;
    }
    uint64_t pa;
    if (g->free_len > 0) {
        pa = g->free_pages[--g->free_len];
    } else {
        if (g->phys_next + PAGE > g->phys_size) {
            return 0;
        }
        pa = g->phys_next;
        g->phys_next += PAGE;
    }
    g->committed++;
    return pa;
}

static void phys_release(gouth_engine *g, uint64_t pa) {
    // The next user must see zeros. Where a guest page is a whole host
    // page, giving it back to the host does that. Where host pages are
    // larger (16 KiB or 64 KiB on some arm64 kernels) one guest page
    // cannot be given back alone: madvise would fail with EINVAL, or drop
    // its neighbours too, so it is cleared instead and stays resident.
    if (g->host_page != PAGE || madvise(g->phys + pa, PAGE, MADV_DONTNEED) != 0) {
        memset(g->phys + pa, 0, PAGE);
    }
    if (g->free_len == g->free_cap) {
        uint64_t cap = g->free_cap ? g->free_cap * 2 : 1024;
        uint64_t *n = realloc(g->free_pages, cap * sizeof(uint64_t));
        if (!n) {
            return;  // leak the page rather than fail
        }
        g->free_pages = n;
        g->free_cap = cap;
    }
    g->free_pages[g->free_len++] = pa;
    g->committed--;
}

// gouth_back assigns a physical page to a present entry; 0 on exhaustion.
uint64_t gouth_back(gouth_engine *g, uint64_t *pte) {
    if (*pte & PTE_BACKED) {
        return *pte & PTE_ADDR_MASK;
    }
    uint64_t pa = phys_alloc(g);
    if (!pa) {
        return 0;
    }
    *pte |= pa | PTE_BACKED;
    return pa;
}

// gouth_set_range makes [start,end) present with perms, keeping the backing
// of pages that already had one (mprotect keeps contents).
void gouth_set_range(gouth_engine *g, uint64_t start, uint64_t end, uint64_t perms) {
    for (uint64_t a = start; a < end; a += PAGE) {
        uint64_t *e = gouth_pte(g, a, perms != 0);
        if (!e) {
            continue;
        }
        if (perms == 0) {
            // PROT_NONE: keep the contents for a later mprotect, deny access.
            *e &= ~(PTE_R | PTE_W | PTE_X | PTE_PRESENT);
            continue;
        }
        *e = (*e & (PTE_ADDR_MASK | PTE_BACKED)) | perms | PTE_PRESENT;
    }
}

// gouth_clear_range unmaps [start,end) and frees its physical pages.
void gouth_clear_range(gouth_engine *g, uint64_t start, uint64_t end) {
    for (uint64_t a = start; a < end;) {
        uint64_t *l2 = (a >> 47) ? NULL : g->l1[a >> 30];
        if (!l2) {
            a = ((a >> 30) + 1) << 30;  // skip a whole empty leaf table
            continue;
        }
        uint64_t *e = &l2[(a >> 12) & ((1u << L2_BITS) - 1)];
        if (*e & PTE_BACKED) {
            phys_release(g, *e & PTE_ADDR_MASK);
        }
        *e = 0;
        a += PAGE;
    }
}

// gouth_discard_range drops the contents of [start,end) (MADV_DONTNEED):
// pages keep their permissions and read as zeros on the next touch.
void gouth_discard_range(gouth_engine *g, uint64_t start, uint64_t end) {
    for (uint64_t a = start; a < end;) {
        uint64_t *l2 = (a >> 47) ? NULL : g->l1[a >> 30];
        if (!l2) {
            a = ((a >> 30) + 1) << 30;
            continue;
        }
        uint64_t *e = &l2[(a >> 12) & ((1u << L2_BITS) - 1)];
        if (*e & PTE_BACKED) {
            phys_release(g, *e & PTE_ADDR_MASK);
            *e &= ~(PTE_ADDR_MASK | PTE_BACKED);
        }
        a += PAGE;
    }
}

void gouth_flush_tlb(gouth_engine *g) { uc_ctl_flush_tlb(g->uc); }

// note_fault records the first failed translation of a run: after a fault
// Unicorn may probe unrelated addresses while unwinding.
static void note_fault(gouth_engine *g, uint64_t vaddr, int type, int oom) {
    if (g->fault_type == 0) {
        g->fault_addr = vaddr;
        g->fault_type = type;
        g->fault_oom = oom;
    }
}

static bool tlb_fill(uc_engine *uc, uint64_t vaddr, uc_mem_type type, uc_tlb_entry *res, void *user) {
    gouth_engine *g = user;
    if (vaddr == VSYSCALL_PAGE) {
        res->paddr = 0;
        res->perms = UC_PROT_READ | UC_PROT_EXEC;
        if (type == UC_MEM_WRITE) {
            note_fault(g, vaddr, type, 0);
        }
        return true;
    }
    uint64_t *e = gouth_pte(g, vaddr, false);
    if (!e || !(*e & PTE_PRESENT)) {
        note_fault(g, vaddr, type, 0);
        return false;
    }
    uint64_t pa = gouth_back(g, e);
    if (!pa) {
        note_fault(g, vaddr, type, 1);
        return false;
    }
    int perms = (int)(*e & 7);
    if ((type == UC_MEM_WRITE && !(perms & UC_PROT_WRITE)) ||
        (type == UC_MEM_FETCH && !(perms & UC_PROT_EXEC)) ||
        (type == UC_MEM_READ && !(perms & UC_PROT_READ))) {
        note_fault(g, vaddr, type, 0);
    }
    res->paddr = pa;
    res->perms = perms;
    return true;
}

static void hook_syscall(uc_engine *uc, void *user) {
    gouth_engine *g = user;
    static const int regs[7] = {UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
                                UC_X86_REG_R10, UC_X86_REG_R8, UC_X86_REG_R9};
    uint64_t vals[7];
    void *ptrs[7];
    for (int i = 0; i < 7; i++) {
        ptrs[i] = &vals[i];
    }
    uc_reg_read_batch(uc, (int *)regs, ptrs, 7);
    g->sys_nr = vals[0];
    memcpy(g->sys_args, &vals[1], sizeof g->sys_args);
    g->stop = STOP_SYSCALL;
    uc_emu_stop(uc);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *user) {
    gouth_engine *g = user;
    g->intno = intno;
    g->stop = STOP_INTR;
    uc_emu_stop(uc);
}

// hook_rdtsc makes the time-stamp counter a function of executed
// instructions: the host's TSC would make runs differ (go1.17 seeds its
// per-M random state from it).
static bool hook_rdtsc(uc_engine *uc, void *user) {
    gouth_engine *g = user;
    uint64_t now = g->insns + (uint64_t)(g->run_budget - g->acct[ACCT_BUDGET]);
    uint64_t eax = now & 0xffffffffu, edx = now >> 32;
    uc_reg_write(uc, UC_X86_REG_RAX, &eax);
    uc_reg_write(uc, UC_X86_REG_RDX, &edx);
    return true;  // skip the real instruction
}

static bool hook_rdtscp(uc_engine *uc, void *user) {
    uint64_t ecx = 0;  // TSC_AUX: CPU 0
    uc_reg_write(uc, UC_X86_REG_RCX, &ecx);
    return hook_rdtsc(uc, user);
}

static bool hook_invalid(uc_engine *uc, void *user) {
    gouth_engine *g = user;
    g->intno = 6;  // #UD
    g->stop = STOP_INTR;
    uc_emu_stop(uc);
    return true;
}

static void hook_breakpoint(uc_engine *uc, uint64_t addr, uint32_t size, void *user) {
    gouth_engine *g = user;
    if (g->bp_skip == addr) {
        g->bp_skip = 0;  // the instruction we resume at: execute it
        return;
    }
    if (g->stop == STOP_NONE || g->stop == STOP_BUDGET) {
        g->stop = STOP_BREAK;
        g->stop_pc = addr;
    }
    // If the step hook ran first for this instruction, it counted an
    // instruction that will not execute now.
    if (g->step_active && g->step_counted == addr) {
        g->step_left++;
        g->step_counted = 0;
    }
    uc_emu_stop(uc);
}

// gouth_add_breakpoint hooks addr and drops any translation that contains
// it, since hooks are only seen when code is translated (Unicorn #2200).
int gouth_add_breakpoint(gouth_engine *g, uint64_t addr, uc_hook *h) {
    int err = uc_hook_add(g->uc, h, UC_HOOK_CODE, hook_breakpoint, g, addr, addr);
    if (err != UC_ERR_OK) {
        return err;
    }
    uc_ctl_remove_cache(g->uc, addr, addr + 1);
    return UC_ERR_OK;
}

// gouth_del_breakpoint removes the hook and, again, the translated code:
// a deleted hook can keep firing from cached code.
int gouth_del_breakpoint(gouth_engine *g, uc_hook h, uint64_t addr) {
    int err = uc_hook_del(g->uc, h);
    uc_ctl_remove_cache(g->uc, addr, addr + 1);
    return err;
}

// gouth_drop_code drops the translations of guest code in [start, end):
// the debugger wrote there through the page table, which Unicorn's
// self-modifying-code detection does not see.
void gouth_drop_code(gouth_engine *g, uint64_t start, uint64_t end) {
    uc_ctl_remove_cache(g->uc, start, end);
}

// read_guest copies len bytes at guest address addr into buf: zeros for
// pages never touched or not mapped (a watch on them sees the mapping
// appear as a change only if the bytes differ).
static void read_guest(gouth_engine *g, uint64_t addr, uint8_t *buf, uint32_t len) {
    while (len > 0) {
        uint32_t n = PAGE - (addr & (PAGE - 1));
        if (n > len) {
            n = len;
        }
        uint64_t *e = gouth_pte(g, addr, false);
        if (e && (*e & PTE_PRESENT) && (*e & PTE_BACKED)) {
            memcpy(buf, g->phys + (*e & PTE_ADDR_MASK) + (addr & (PAGE - 1)), n);
        } else {
            memset(buf, 0, n);
        }
        addr += n;
        buf += n;
        len -= n;
    }
}

// gouth_watch_changed returns the index of a watch whose bytes differ from
// the accepted ones, or -1.
int gouth_watch_changed(gouth_engine *g) {
    uint8_t now[WATCH_MAX_LEN];
    for (int i = 0; i < g->nwatches; i++) {
        gouth_watch *w = &g->watches[i];
        read_guest(g, w->addr, now, w->len);
        if (memcmp(now, w->old, w->len) != 0) {
            return i;
        }
    }
    return -1;
}

// gouth_watch_accept takes watch i's current bytes as its reference.
void gouth_watch_accept(gouth_engine *g, int i) {
    gouth_watch *w = &g->watches[i];
    read_guest(g, w->addr, w->old, w->len);
}

static void hook_step(uc_engine *uc, uint64_t addr, uint32_t size, void *user) {
    gouth_engine *g = user;
    if (g->nwatches > 0) {
        // Before addr runs: the instruction that changed the range (on
        // this thread, since switches happen only between runs) is the
        // one just executed.
        int i = gouth_watch_changed(g);
        if (i >= 0) {
            if (g->stop == STOP_NONE || g->stop == STOP_BUDGET) {
                g->stop = STOP_WATCH;
                g->stop_pc = addr;
                g->watch_hit = i;
            }
            uc_emu_stop(uc);
            return;
        }
    }
    if (!g->step_active) {
        return;
    }
    if (g->step_left <= 0) {
        if (g->stop == STOP_NONE || g->stop == STOP_BUDGET) {
            g->stop = STOP_STEP;
            g->stop_pc = addr;
        }
        uc_emu_stop(uc);
        return;
    }
    g->step_left--;
    g->step_counted = addr;
}

// gouth_step_hook installs (on) or removes the global stepping hook. Either
// way all translated code is dropped, so code runs hook-free again at full
// speed once stepping ends.
int gouth_step_hook(gouth_engine *g, int on) {
    int err = UC_ERR_OK;
    if (on && !g->has_step_hook) {
        err = uc_hook_add(g->uc, &g->step_hook, UC_HOOK_CODE, hook_step, g, 1, 0);
        g->has_step_hook = err == UC_ERR_OK;
    } else if (!on && g->has_step_hook) {
        err = uc_hook_del(g->uc, g->step_hook);
        g->has_step_hook = 0;
    } else {
        return UC_ERR_OK;
    }
    uc_ctl_flush_tb(g->uc);
    return err;
}

gouth_engine *gouth_new(uc_engine *uc, uint64_t phys_size, uint64_t tcg_size, char **err, int *fail, int *err_no) {
    *fail = GOUTH_FAIL_OTHER;
    gouth_engine *g = calloc(1, sizeof *g);
    if (!g) {
        *err = "out of memory";
        return NULL;
    }
    g->uc = uc;
    // checkHost (host.go) has made sure it is a power-of-two multiple of PAGE.
    g->host_page = (uint64_t)sysconf(_SC_PAGESIZE);
    g->phys_size = phys_size;
    g->commit_limit = phys_size / PAGE;
    g->phys = mmap(NULL, phys_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (g->phys == MAP_FAILED) {
        *fail = GOUTH_FAIL_PHYS;
        *err_no = errno;
        *err = "cannot reserve host memory for the guest";
        goto fail;
    }
    // Unicorn maps its translation buffer when it initialises (on the
    // first call that needs the CPU, uc_ctl_tlb_mode below) and exits the
    // process if it cannot: try the same mapping first, so that a host
    // without room for it gets an error instead.
    void *probe = mmap(NULL, tcg_size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED) {
        *fail = GOUTH_FAIL_TCG;
        *err_no = errno;
        *err = "cannot map Unicorn's translation buffer";
        goto fail;
    }
    munmap(probe, tcg_size);
    *fail = GOUTH_FAIL_OTHER;
    if (uc_ctl_set_tcg_buffer_size(uc, (uint32_t)tcg_size) != UC_ERR_OK) {
        *err = "cannot size Unicorn's translation buffer";
        goto fail;
    }
    memcpy(g->phys, vsyscall_stub, sizeof vsyscall_stub);
    memcpy(g->phys + 0x400, vsyscall_time, sizeof vsyscall_time);
    memcpy(g->phys + 0x800, vsyscall_getcpu, sizeof vsyscall_getcpu);
    g->phys_next = PAGE;  // page 0 is the vsyscall page

    if (uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL) != UC_ERR_OK) {
        *err = "uc_ctl_tlb_mode(UC_TLB_VIRTUAL) failed";
        goto fail;
    }
    if (uc_mem_map_ptr(uc, 0, phys_size, UC_PROT_ALL, g->phys) != UC_ERR_OK) {
        *err = "uc_mem_map_ptr of guest physical memory failed";
        goto fail;
    }
    // No until address: with the exits mechanism enabled and no exits,
    // only our hooks stop the engine. (An until address also makes Unicorn
    // translate the page before it, which shows up as a bogus fault.)
    if (uc_ctl_exits_enable(uc) != UC_ERR_OK) {
        *err = "cannot enable Unicorn's exits";
        goto fail;
    }
    uc_hook h;
    if (uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, tlb_fill, g, 1, 0) != UC_ERR_OK) {
        *err = "cannot add the TLB fill hook";
        goto fail;
    }
    // Counting in the translated code, not in a block hook: a hook costs a
    // helper call and a callback per block. This also drops Unicorn's exit
    // check after every load and store, which we do not need: our TLB fill
    // reports faults by unwinding at once, and we add no memory hooks.
    if (uc_set_insn_account(uc, g->acct) != UC_ERR_OK) {
        *err = "cannot turn on instruction accounting (is Unicorn built with tools/unicorn.patch?)";
        goto fail;
    }
    if (uc_hook_add(uc, &h, UC_HOOK_INSN, hook_syscall, g, 1, 0, UC_X86_INS_SYSCALL) != UC_ERR_OK) {
        *err = "cannot add the syscall hook";
        goto fail;
    }
    if (uc_hook_add(uc, &h, UC_HOOK_INTR, hook_intr, g, 1, 0) != UC_ERR_OK) {
        *err = "cannot add the interrupt hook";
        goto fail;
    }
    if (uc_hook_add(uc, &h, UC_HOOK_INSN, hook_rdtsc, g, 1, 0, UC_X86_INS_RDTSC) != UC_ERR_OK ||
        uc_hook_add(uc, &h, UC_HOOK_INSN, hook_rdtscp, g, 1, 0, UC_X86_INS_RDTSCP) != UC_ERR_OK) {
        *err = "cannot add the rdtsc hooks";
        goto fail;
    }
    if (uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, hook_invalid, g, 1, 0) != UC_ERR_OK) {
        *err = "cannot add the invalid-instruction hook";
        goto fail;
    }
    return g;
fail:
    gouth_free(g);
    return NULL;
}

// gouth_tcg_size reads the size of Unicorn's translation buffer (a macro
// with varargs in unicorn.h, which cgo cannot call).
int gouth_tcg_size(gouth_engine *g, uint32_t *size) {
    return uc_ctl_get_tcg_buffer_size(g->uc, size);
}

void gouth_free(gouth_engine *g) {
    if (!g) {
        return;
    }
    for (uint64_t i = 0; i < (1u << L1_BITS); i++) {
        if (g->l1[i]) {
            munmap(g->l1[i], (1u << L2_BITS) * 8);
        }
    }
    if (g->phys && g->phys != MAP_FAILED) {
        munmap(g->phys, g->phys_size);
    }
    free(g->free_pages);
    free(g);
}

// gouth_run runs from pc until a syscall, the budget, a fault or a stop
// request. It returns the uc_err of uc_emu_start; g->stop says why.
int gouth_run(gouth_engine *g, uint64_t pc, int64_t budget) {
    g->stop = STOP_NONE;
    g->fault_addr = 0;
    g->fault_type = 0;
    g->fault_oom = 0;
    g->step_counted = 0;
    g->acct[ACCT_BUDGET] = budget;
    g->acct[ACCT_PC] = 0;
    g->acct[ACCT_COUNT] = 0;
    g->run_budget = budget;
    int err = uc_emu_start(g->uc, pc, 0, 0, 0);
    g->budget = g->acct[ACCT_BUDGET];
    g->insns += (uint64_t)(g->run_budget - g->budget);
    g->blk_addr = (uint64_t)g->acct[ACCT_PC];
    g->blk_count = (uint32_t)g->acct[ACCT_COUNT];
    if (err == UC_ERR_OK && g->stop == STOP_NONE && g->budget <= 0) {
        g->stop = STOP_BUDGET;  // stopped before entering a block
    }
    return err;
}

void gouth_request_stop(gouth_engine *g) {
    if (g->stop == STOP_NONE) {
        g->stop = STOP_REQUEST;
    }
    uc_emu_stop(g->uc);
}
