// Raw transaction ingest for benchmarks (docs/formats/raw-ingest.md): a plain TCP listener that
// takes frames `u32 LE length | transaction bytes` (1 to 1 MiB) and hands each to the node's
// worker, as Narwhal's benchmark clients write to a worker's transaction port. Off unless
// `[consensus] raw_transactions_address` is set; bind it to loopback only. No authentication and
// no checks: bytes that are not a signed transaction still go through consensus and get a
// `malformed` receipt. A bad length closes that connection.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace fleek::node {

// ---- frames: `u32 LE length | bytes`, 1 <= length <= raw_frame_bytes_max ---------------------

constexpr uint32_t raw_frame_bytes_max = uint32_t{1} << 20;

enum class RawFrameError : uint8_t { length_out_of_bounds };

struct RawFrame {
    ByteSpan transaction;   // inside the buffer given to next_raw_frame
    size_t frame_bytes = 0;  // 4 + transaction.size(): where the next frame starts
};

// The frame at the start of `buffer`; nullopt while it is incomplete. A length of 0 or above
// raw_frame_bytes_max is an error (the connection is closed: the stream cannot be resynchronised).
Result<std::optional<RawFrame>, RawFrameError> next_raw_frame(ByteSpan buffer);

// One frame around `transaction` (1 to raw_frame_bytes_max bytes; asserted).
Bytes encode_raw_frame(ByteSpan transaction);

class RawIngest {
public:
    // `on_transaction` runs on the ingest thread; false means the node is full: that connection
    // stops reading (TCP back-pressure reaches the client) and offers the frame again 5 ms later.
    static Result<std::unique_ptr<RawIngest>, std::string> start(const std::string& host, uint16_t port,
                                                                 std::function<bool(Bytes)> on_transaction);
    ~RawIngest();
    RawIngest(const RawIngest&) = delete;
    RawIngest& operator=(const RawIngest&) = delete;

    uint16_t port() const;
    uint64_t received() const;
    uint64_t backpressure_waits() const;  // times a connection waited for the node
    void stop();

    struct Impl;

private:
    explicit RawIngest(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fleek::node
