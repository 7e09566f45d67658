/*
 * leanpo.h — the one public C header of the leanpo native library.
 *
 * Shape letters used everywhere: P pairs, 2P sequences, T rows (response tokens), V vocabulary.
 * Sequences are ordered chosen_0, rejected_0, chosen_1, rejected_1, ...; sequence s covers rows
 * [offsets[s], offsets[s+1]). A row whose target equals ignore_index takes no part and gets a zero
 * gradient. All math is fp32 (sequence and pair reductions in fp64); logits may be f32, bf16 or f16.
 *
 * Row index arithmetic is 64-bit throughout: T*V exceeds 2^31 for realistic shapes
 * (T=16384, V=152064 is 2.5e9 elements).
 *
 * Errors: the functions take C types only, but they are C++ and report misuse by throwing a C++
 * exception (leanpo::error, a std::runtime_error whose message carries file and line). The JNI
 * glue turns it into a Java exception; callers from C++ catch it. Nothing here exits or aborts.
 * The Java layer validates every input before calling, so these checks are a second line of defence.
 */
#ifndef LEANPO_H
#define LEANPO_H

#include <stdint.h>

#define LEANPO_DTYPE_F32 0
#define LEANPO_DTYPE_BF16 1
#define LEANPO_DTYPE_F16 2

#define LEANPO_OBJECTIVE_LEANPO 0
#define LEANPO_OBJECTIVE_SIMPO 1
#define LEANPO_OBJECTIVE_DPO 2
#define LEANPO_OBJECTIVE_SFT 3

#define LEANPO_SMOOTHING_NONE 0
#define LEANPO_SMOOTHING_FIXED 1
#define LEANPO_SMOOTHING_DYNAMIC 2

#ifdef __cplusplus
extern "C" {
#endif

/* ---- library information and settings ---- */
const char* leanpo_version(void);
/* Instruction set the CPU row kernels run with now: "avx2+fma+f16c" or "generic". */
const char* leanpo_cpu_isa(void);
/* Force an instruction set ("avx2" or "generic"); returns 1 if selected, 0 if this CPU lacks it. */
int leanpo_cpu_select_isa(const char* name);
/* Threads used by the CPU kernels (n < 1 means one per hardware thread). */
void leanpo_set_num_threads(int n);
int leanpo_get_num_threads(void);
/* 1 when the library was built with its CUDA part (src/main/cuda). */
int leanpo_cuda_compiled(void);
/* Number of usable CUDA devices; 0 with no GPU, no driver or no CUDA part. Never throws. */
int leanpo_cuda_device_count(void);
/* A human-readable line: what the CUDA runtime reported when it was probed. */
const char* leanpo_cuda_status(void);
/* 1 only in the test build whose CUDA entry points run on the CPU emulation of the kernels
 * (src/test/cuda): "device memory" is host memory there, and the Java side multiplies on the host. */
int leanpo_cuda_emulated(void);

/* ---- CPU kernels ---- */

/*
 * Pass 1 over rows [row_begin, row_end) of logits [T, V]:
 *   lse[t]  = log Σ_v exp(x[t,v])          logp[t] = x[t, y_t] − lse[t]
 * One read of each row from memory (the max and the exp-sum passes reuse it from cache).
 * Ignored rows are skipped (lse = logp = 0). Returns the first row (absolute index) holding a
 * non-finite value (NaN or ±inf), or -1 when all rows in range are finite.
 */
int64_t leanpo_cpu_row_lse_target(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                                  const int64_t* targets, int64_t ignore_index, float* lse, float* logp);

/*
 * Pass 2 over rows [row_begin, row_end):  grad[t,v] = w[t] · ([v = y_t] − exp(x[t,v] − lse[t]))
 * computed in fp32 and rounded once into `dtype` (the logits' dtype). grad may equal logits
 * (in place). Rows with w[t] = 0 (ignored rows) are written as zeros.
 */
void leanpo_cpu_row_grad(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                         const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight,
                         void* grad);

/* ---- per-sequence and per-pair math (host; tiny compared with the row passes) ---- */

/*
 * For sequences [seq_begin, seq_end): seq_sum = Σ logp over non-ignored rows (fp64 accumulation),
 * seq_tokens = their count, seq_mean = seq_sum / seq_tokens (0 for an empty sequence, which the
 * caller allows only for the rejected sequence of SFT).
 */
void leanpo_seq_reduce(const float* logp, const int64_t* targets, int64_t ignore_index, const int64_t* offsets,
                       int64_t seq_begin, int64_t seq_end, float* seq_sum, float* seq_mean, int64_t* seq_tokens);

/*
 * Pair losses for pairs [pair_begin, pair_end) (chosen = sequence 2p, rejected = 2p+1):
 *   LEANPO/SIMPO: r_s = β·mean_s, z = r_w − r_l − γ;  DPO: r_s = β·(sum_s − ref_sum_s), z = r_w − r_l
 *   ε = none: 0 | fixed: epsilon | dynamic: epsilon·[mean_w < mean_l]
 *   L = −(1−ε)·logσ(z) − ε·logσ(−z) − λ·mean_w;     SFT: L = −mean_w
 * Writes the unnormalised L per pair, the rewards, ε, and seq_coef[s] = dL/dlogp_t / 1 for every
 * response row t of sequence s, already divided by `normalizer` (N) and, for mean-based terms, n_s.
 * ref_sum may be NULL unless objective is DPO.
 */
void leanpo_pair_loss(int objective, float beta, float gamma, int smoothing, float epsilon, float nll_weight,
                      double normalizer, const float* seq_mean, const float* seq_sum, const int64_t* seq_tokens,
                      const float* ref_sum, int64_t pair_begin, int64_t pair_end, float* pair_loss,
                      float* reward_chosen, float* reward_rejected, float* pair_epsilon, float* seq_coef);

/* row_weight[t] = seq_coef[s] for response rows t of sequences [seq_begin, seq_end), 0 for ignored rows. */
void leanpo_row_weights(const int64_t* offsets, const float* seq_coef, const int64_t* targets, int64_t ignore_index,
                        int64_t seq_begin, int64_t seq_end, float* row_weight);

/* ---- fused-linear head: fp32 tiles of x = h·Wᵀ (+ b), never a [T, V] buffer ---- */

/*
 * Merges a tile's rows into the running log-sum-exp of each row. The tile holds rows × cols fp32
 * values for vocabulary columns [col_begin, col_begin + cols) with leading dimension ld; bias (may be
 * NULL) is the whole [V] bias. run_max starts at -inf and run_sum at 0; tgt_logit[r] receives
 * x[r, targets[r]] (+ bias) when the target falls in this tile. Ignored rows are skipped. Returns the
 * first tile row with a non-finite value, or -1.
 */
int64_t leanpo_cpu_tile_lse_merge(const float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin,
                                  const float* bias, const int64_t* targets, int64_t ignore_index, float* run_max,
                                  float* run_sum, float* tgt_logit);

/* lse = run_max + log(run_sum), logp = tgt_logit − lse, for rows [0, rows); 0 for ignored rows. */
void leanpo_cpu_lse_finish(const float* run_max, const float* run_sum, const float* tgt_logit, const int64_t* targets,
                           int64_t ignore_index, int64_t rows, float* lse, float* logp);

/* In place over a tile: x ← w[r]·([col = y_r] − exp(x + b − lse[r])), fp32. Ignored rows become 0. */
void leanpo_cpu_tile_grad(float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin, const float* bias,
                          const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight);

/* dst[i] = src[i] for i < n, converting between f32, bf16 and f16 (round to nearest even). */
void leanpo_cpu_convert(const void* src, int src_dtype, void* dst, int dst_dtype, int64_t n);

/* dst row i = src row index[i] (row_bytes each), for i < n. */
void leanpo_cpu_gather_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst);

/* dst row index[i] = src row i (row_bytes each), for i < n; other dst rows are left as they are. */
void leanpo_cpu_scatter_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst);

/* ---- CUDA (src/main/cuda): device memory, streams, and the GPU twins of the functions above ----
 *
 * Built when the library is compiled with nvcc; without it every function below throws (the library
 * still loads). Pointers are device addresses of the current device unless a name says host_; a
 * `stream` is a cudaStream_t (NULL: the legacy default stream). Every call only enqueues work on its
 * stream, never synchronises the device, and never reads device memory on the host, except
 * leanpo_cuda_synchronize. Each kernel twin takes its CPU twin's arguments in the same order, then
 * the status block and the stream.
 *
 * Errors a kernel finds in the data cannot be thrown from the device; they are recorded in a status
 * block of LEANPO_STATUS_WORDS uint64 words in device memory, each the smallest offending index or
 * all bits set (none). Initialise it with leanpo_cuda_memset(status, 0xFF, ...). Pass-2 kernels
 * (row_grad, tile_grad) read it and write nothing when an error was recorded, so a bad row never
 * leaves logits that are being overwritten in place half overwritten.
 */
#define LEANPO_STATUS_NONFINITE_ROW 0 /* first row holding NaN or ±inf */
#define LEANPO_STATUS_BAD_TARGET_ROW 1 /* first row whose target is outside [0, V) and not the ignore index */
#define LEANPO_STATUS_EMPTY_SEQUENCE 2 /* first scored sequence with no response token */
#define LEANPO_STATUS_WORDS 3

/* Selects the device for the calling thread's next calls; throws on a bad index. */
void leanpo_cuda_set_device(int device);
int leanpo_cuda_get_device(void);
/* Stream-ordered allocation (cudaMallocAsync) and release; bytes > 0. Throws when out of memory. */
void* leanpo_cuda_malloc(int64_t bytes, void* stream);
void leanpo_cuda_free(void* p, void* stream);
/* Asynchronous copy between any two of host and device memory (unified addressing decides). */
void leanpo_cuda_memcpy(void* dst, const void* src, int64_t bytes, void* stream);
void leanpo_cuda_memset(void* p, int byte_value, int64_t bytes, void* stream);
/* p[i] = value for i < n. */
void leanpo_cuda_fill_f32(float* p, float value, int64_t n, void* stream);
/* Waits for everything enqueued on stream; throws with the CUDA error if any of it failed. */
void leanpo_cuda_synchronize(void* stream);
/* Free and total memory of the current device, in bytes (host_out[0], host_out[1]). */
void leanpo_cuda_mem_info(int64_t* host_out);
/* The most bytes in use at once from the current device's stream-ordered pool (where
 * leanpo_cuda_malloc allocates) since the last reset; reset != 0 starts a new count from now. */
int64_t leanpo_cuda_pool_peak(int reset);

/* targets_out[t] = targets[t] widened to int64 (index_bytes 4 or 8), for t < n; a target outside
 * [0, V) that is not ignore_index is recorded as LEANPO_STATUS_BAD_TARGET_ROW. */
void leanpo_cuda_targets(const void* targets, int index_bytes, int64_t n, int64_t V, int64_t ignore_index,
                         int64_t* targets_out, uint64_t* status, void* stream);

void leanpo_cuda_row_lse_target(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                                const int64_t* targets, int64_t ignore_index, float* lse, float* logp, uint64_t* status,
                                void* stream);
void leanpo_cuda_row_grad(const void* logits, int dtype, int64_t V, int64_t row_begin, int64_t row_end,
                          const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight,
                          void* grad, const uint64_t* status, void* stream);
void leanpo_cuda_seq_reduce(const float* logp, const int64_t* targets, int64_t ignore_index, const int64_t* offsets,
                            int64_t seq_begin, int64_t seq_end, float* seq_sum, float* seq_mean, int64_t* seq_tokens,
                            void* stream);
/* As leanpo_pair_loss; a scored sequence without tokens is recorded as LEANPO_STATUS_EMPTY_SEQUENCE
 * (its pair then contributes nothing). */
void leanpo_cuda_pair_loss(int objective, float beta, float gamma, int smoothing, float epsilon, float nll_weight,
                           double normalizer, const float* seq_mean, const float* seq_sum, const int64_t* seq_tokens,
                           const float* ref_sum, int64_t pair_begin, int64_t pair_end, float* pair_loss,
                           float* reward_chosen, float* reward_rejected, float* pair_epsilon, float* seq_coef,
                           uint64_t* status, void* stream);
void leanpo_cuda_row_weights(const int64_t* offsets, const float* seq_coef, const int64_t* targets, int64_t ignore_index,
                             int64_t seq_begin, int64_t seq_end, float* row_weight, void* stream);
/* As leanpo_cpu_tile_lse_merge; a non-finite value in tile row r is recorded as row_base + r. */
void leanpo_cuda_tile_lse_merge(const float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin,
                                const float* bias, const int64_t* targets, int64_t ignore_index, float* run_max,
                                float* run_sum, float* tgt_logit, int64_t row_base, uint64_t* status, void* stream);
void leanpo_cuda_lse_finish(const float* run_max, const float* run_sum, const float* tgt_logit, const int64_t* targets,
                            int64_t ignore_index, int64_t rows, float* lse, float* logp, void* stream);
/* As leanpo_cpu_tile_grad (in place over the tile) when out is NULL or is the tile itself; otherwise
 * the result is written, rounded once, only to out (rows × cols with leading dimension out_ld, dtype
 * out_dtype) and the tile is left as it was: bf16/f16 gradient tiles feed the tensor-core products
 * dH = G·W and dW = Gᵀ·H. */
void leanpo_cuda_tile_grad(float* tile, int64_t rows, int64_t cols, int64_t ld, int64_t col_begin, const float* bias,
                           const int64_t* targets, int64_t ignore_index, const float* lse, const float* row_weight,
                           void* out, int out_dtype, int64_t out_ld, const uint64_t* status, void* stream);
void leanpo_cuda_convert(const void* src, int src_dtype, void* dst, int dst_dtype, int64_t n, void* stream);
/* index is device memory. */
void leanpo_cuda_gather_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst, void* stream);
void leanpo_cuda_scatter_rows(const void* src, int64_t row_bytes, const int64_t* index, int64_t n, void* dst, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* LEANPO_H */
