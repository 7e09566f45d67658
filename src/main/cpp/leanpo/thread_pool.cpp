// thread_pool.cpp — a small persistent fork-join pool for the CPU row kernels.
//
// Why not OpenMP: the library must load anywhere the JVM does without a libgomp of matching
// version, and the Java side must be able to change the thread count at any time.
// Work is handed out in blocks through one atomic counter, so uneven rows (ignored rows cost
// nothing) balance themselves.
#include "common.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace leanpo {
namespace {

class pool {
public:
    explicit pool(int threads) : threads_(threads) {
        for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
    }
    ~pool() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
    }
    int threads() const { return threads_; }

    void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
        grain = std::max<int64_t>(grain, 1);
        const int64_t blocks = (n + grain - 1) / grain;
        if (threads_ == 1 || blocks <= 1) {
            body(0, n);
            return;
        }
        {
            std::lock_guard<std::mutex> lock(mu_);
            body_ = &body;
            n_ = n;
            grain_ = grain;
            next_.store(0);
            error_ = nullptr;
            active_ = static_cast<int>(workers_.size());
            ++generation_;
        }
        wake_.notify_all();
        work();
        std::unique_lock<std::mutex> lock(mu_);
        done_.wait(lock, [this] { return active_ == 0; });
        body_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

private:
    void work() {
        for (;;) {
            const int64_t begin = next_.fetch_add(grain_);
            if (begin >= n_) return;
            const int64_t end = std::min(n_, begin + grain_);
            try {
                (*body_)(begin, end);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mu_);
                if (!error_) error_ = std::current_exception();
                next_.store(n_);  // stop handing out blocks
            }
        }
    }
    void worker_loop() {
        uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mu_);
                wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
            }
            work();
            {
                std::lock_guard<std::mutex> lock(mu_);
                if (--active_ == 0) done_.notify_one();
            }
        }
    }

    const int threads_;
    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable wake_, done_;
    bool stop_ = false;
    uint64_t generation_ = 0;
    int active_ = 0;
    const std::function<void(int64_t, int64_t)>* body_ = nullptr;
    int64_t n_ = 0, grain_ = 1;
    std::atomic<int64_t> next_{0};
    std::exception_ptr error_;
};

std::mutex g_call_mu;  // one parallel_for at a time; also guards g_pool replacement
std::unique_ptr<pool> g_pool;
int g_requested = 0;

int hardware_threads() {
    const unsigned h = std::thread::hardware_concurrency();
    return h == 0 ? 1 : static_cast<int>(h);
}

pool& current_pool() {
    if (!g_pool) g_pool = std::make_unique<pool>(g_requested > 0 ? g_requested : hardware_threads());
    return *g_pool;
}

}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
    if (n <= 0) return;
    std::lock_guard<std::mutex> lock(g_call_mu);
    current_pool().run(n, grain, body);
}

void set_num_threads(int n) {
    std::lock_guard<std::mutex> lock(g_call_mu);
    g_requested = n > 0 ? std::min(n, 1024) : 0;
    g_pool.reset();
}

int get_num_threads() {
    std::lock_guard<std::mutex> lock(g_call_mu);
    return current_pool().threads();
}

}  // namespace leanpo
