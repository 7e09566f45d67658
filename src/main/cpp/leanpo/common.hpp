// common.hpp — internal helpers shared by the CPU kernels: the error type that crosses into Java,
// argument checks, and the fork-join thread pool the row kernels run on.
#ifndef LEANPO_COMMON_HPP
#define LEANPO_COMMON_HPP

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace leanpo {

// The one exception type native code throws; JavaCPP's glue turns it into a Java RuntimeException
// carrying what(), which the Java binding layer rethrows as IllegalStateException.
class error : public std::runtime_error {
public:
    error(const char* file, int line, const std::string& msg)
        : std::runtime_error(std::string("leanpo native error at ") + file + ":" + std::to_string(line) + ": " + msg) {}
};

#define LEANPO_CHECK(cond, msg)                                  \
    do {                                                         \
        if (!(cond)) throw ::leanpo::error(__FILE__, __LINE__, (msg)); \
    } while (0)

// Runs body(begin, end) over [0, n) in blocks of at least `grain` items on the pool's threads and
// the calling thread. Exceptions thrown by a block are rethrown in the caller (the first one wins).
// Calls from several Java threads at once are serialised.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

void set_num_threads(int n);
int get_num_threads();

inline void check_dtype(int dtype) {
    LEANPO_CHECK(dtype >= 0 && dtype <= 2, "unknown logits dtype code " + std::to_string(dtype) + " (0=f32, 1=bf16, 2=f16)");
}

}  // namespace leanpo

#endif
