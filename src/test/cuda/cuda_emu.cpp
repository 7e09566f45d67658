// cuda_emu.cpp — the fiber scheduler behind cuda_emu.hpp (see there for what it models and what not).
#include "cuda_emu.hpp"

#include <setjmp.h>
#include <ucontext.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "leanpo/common.hpp"

namespace leanpo {
namespace emu {
namespace {

enum class State { runnable, at_block_barrier, at_warp_barrier, done };

// Kernel frames are small; 64 KiB leaves room for sanitizer builds. Stacks are kept for the next
// launch (a sanitizer clears a stack's shadow memory on every first entry, so smaller is faster).
constexpr size_t kStackBytes = 64 * 1024;
thread_local std::vector<std::unique_ptr<char[]>> g_stacks;

// A fiber enters once through its ucontext; every later switch is _setjmp/_longjmp, which, unlike
// swapcontext, does not save and restore the signal mask with a system call.
struct Fiber {
    ucontext_t ctx;
    jmp_buf jb;
    bool started = false;
    char* stack = nullptr;  // from the thread's stack pool
    dim3 tid;
    State state = State::runnable;
};

struct Block {
    std::vector<Fiber> fibers;
    std::vector<uint64_t> slots;  // one shuffle slot per thread
    ucontext_t scheduler;
    jmp_buf scheduler_jb;
    int current = -1;
    const std::function<void()>* body = nullptr;
    std::exception_ptr error;
    dim3 block_dim, block_idx, grid_dim;
};

// One emulated launch at a time per OS thread; fibers find their block through this.
thread_local Block* g_block = nullptr;

Fiber& self() { return g_block->fibers[static_cast<size_t>(g_block->current)]; }

void park(State s) {
    Fiber& f = self();
    f.state = s;
    if (_setjmp(f.jb) == 0) _longjmp(g_block->scheduler_jb, 1);
}

void fiber_main() {
    Block* b = g_block;
    try {
        (*b->body)();
    } catch (...) {
        if (!b->error) b->error = std::current_exception();
    }
    b->fibers[static_cast<size_t>(b->current)].state = State::done;
    _longjmp(b->scheduler_jb, 1);  // never returns: the stack is reused by the next block
}

std::string states(const Block& b) {
    int run = 0, blk = 0, warp = 0, done = 0;
    for (const Fiber& f : b.fibers) {
        switch (f.state) {
            case State::runnable: ++run; break;
            case State::at_block_barrier: ++blk; break;
            case State::at_warp_barrier: ++warp; break;
            case State::done: ++done; break;
        }
    }
    return std::to_string(blk) + " threads at __syncthreads, " + std::to_string(warp) + " at a warp shuffle, " +
           std::to_string(done) + " exited, " + std::to_string(run) + " runnable";
}

// Releases every barrier that is complete; returns false when nothing could be released.
bool release(Block& b) {
    bool released = false;
    const size_t n = b.fibers.size();
    for (size_t w = 0; w < n; w += 32) {
        const size_t e = std::min(n, w + 32);
        bool waiting = false, complete = true;
        for (size_t i = w; i < e; ++i) {
            const State s = b.fibers[i].state;
            if (s == State::at_warp_barrier) waiting = true;
            else if (s != State::done) complete = false;
        }
        if (waiting && complete) {
            for (size_t i = w; i < e; ++i)
                if (b.fibers[i].state == State::at_warp_barrier) b.fibers[i].state = State::runnable;
            released = true;
        }
    }
    bool waiting = false, complete = true;
    for (const Fiber& f : b.fibers) {
        if (f.state == State::at_block_barrier) waiting = true;
        else if (f.state != State::done) complete = false;
    }
    if (waiting && complete) {
        for (Fiber& f : b.fibers)
            if (f.state == State::at_block_barrier) f.state = State::runnable;
        released = true;
    }
    return released;
}

// Runs fiber f until it parks or exits. Kept out of line so the _setjmp frame holds no loop state.
__attribute__((noinline)) void resume(Block& b, Fiber& f) {
    if (_setjmp(b.scheduler_jb) == 0) {
        if (f.started) _longjmp(f.jb, 1);
        f.started = true;
        swapcontext(&b.scheduler, &f.ctx);
    }
}

// getcontext returns twice in principle, so it gets a frame of its own (nothing here resumes it).
__attribute__((noinline)) void init_fiber(Block& b, Fiber& f) {
    f.state = State::runnable;
    f.started = false;
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack;
    f.ctx.uc_stack.ss_size = kStackBytes;
    f.ctx.uc_link = &b.scheduler;
    makecontext(&f.ctx, fiber_main, 0);
}

void run_block(Block& b) {
    for (Fiber& f : b.fibers) init_fiber(b, f);
    for (;;) {
        for (size_t i = 0; i < b.fibers.size(); ++i) {
            if (b.fibers[i].state != State::runnable) continue;
            b.current = static_cast<int>(i);
            resume(b, b.fibers[i]);
            if (b.error) std::rethrow_exception(b.error);
        }
        bool all_done = true;
        for (const Fiber& f : b.fibers) all_done = all_done && f.state == State::done;
        if (all_done) return;
        if (!release(b))
            throw leanpo::error(__FILE__, __LINE__,
                                "emulated kernel deadlocked in block (" + std::to_string(b.block_idx.x) + "," +
                                    std::to_string(b.block_idx.y) + "): " + states(b) +
                                    " (a barrier some threads never reach, or a shuffle with an exited lane)");
    }
}

}  // namespace

const dim3& thread_idx() { return self().tid; }
const dim3& block_idx() { return g_block->block_idx; }
const dim3& block_dim() { return g_block->block_dim; }
const dim3& grid_dim() { return g_block->grid_dim; }

void sync_threads() { park(State::at_block_barrier); }

int lane_id() {
    const dim3& t = self().tid;
    const dim3& d = g_block->block_dim;
    return static_cast<int>((t.x + d.x * (t.y + d.y * t.z)) & 31u);
}

uint64_t warp_exchange(uint64_t mine, int src_lane) {
    const size_t me = static_cast<size_t>(g_block->current);
    const size_t src = (me & ~static_cast<size_t>(31)) + static_cast<size_t>(src_lane);
    g_block->slots[me] = mine;
    park(State::at_warp_barrier);
    if (src >= g_block->fibers.size() || g_block->fibers[src].state == State::done)
        throw leanpo::error(__FILE__, __LINE__, "emulated shuffle reads lane " + std::to_string(src_lane) + " of a warp where it does not run");
    const uint64_t v = g_block->slots[src];
    park(State::at_warp_barrier);
    return v;
}

void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
    LEANPO_CHECK(g_block == nullptr, "emulated kernels cannot launch kernels");
    const size_t threads = static_cast<size_t>(block.x) * block.y * block.z;
    LEANPO_CHECK(threads >= 1 && threads <= 1024, "a block holds 1 to 1024 threads, got " + std::to_string(threads));
    LEANPO_CHECK(grid.x >= 1 && grid.y >= 1 && grid.z >= 1 && grid.y <= 65535 && grid.z <= 65535, "bad grid");
    Block b;
    b.fibers.resize(threads);
    b.slots.assign(threads, 0);
    while (g_stacks.size() < threads) g_stacks.emplace_back(new char[kStackBytes]);
    for (size_t i = 0; i < threads; ++i) {
        b.fibers[i].stack = g_stacks[i].get();
        const unsigned x = static_cast<unsigned>(i % block.x);
        const unsigned y = static_cast<unsigned>((i / block.x) % block.y);
        const unsigned z = static_cast<unsigned>(i / (static_cast<size_t>(block.x) * block.y));
        b.fibers[i].tid = dim3(x, y, z);
    }
    b.body = &body;
    b.block_dim = block;
    b.grid_dim = grid;
    struct Reset {
        ~Reset() { g_block = nullptr; }
    } reset;
    g_block = &b;
    for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
            for (unsigned x = 0; x < grid.x; ++x) {
                b.block_idx = dim3(x, y, z);
                run_block(b);
            }
}

}  // namespace emu
}  // namespace leanpo
