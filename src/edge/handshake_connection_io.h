// The I/O side of one handshake connection, shared by the TCP listener (handshake_tcp.cpp) and
// the WebSocket endpoint (handshake_ws.cpp): it feeds HandshakeConnection the frames a Transport
// reads, writes what the session hands out with at most `send_queue_max_bytes` (plus one frame)
// queued, keeps one timer on the session's next deadline and on the write timeout, hands the
// session's verified receipts to the ReceiptSink (one in flight per connection) and feeds the
// sink's completions back to the session on the I/O thread, and closes.
// Private to those two .cpp files (it includes Boost.Asio).
//
// A Transport provides:
//   executor()                         for the timer
//   start()                            socket options
//   async_read_frame(h)                h(ReadResult, ByteSpan payload, FrameError): one client frame payload
//   async_write_frame(frame, h)        h(error_code): the frame (OutFrame::bytes carry the u32 length)
//   close()                            ends the connection now
#pragma once

#include "edge/handshake_session.h"
#include "edge/handshake_tcp.h"

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace fleek::edge::handshake::io {

struct Counters {
    std::atomic<uint64_t> accepted{0};
    std::atomic<uint64_t> refused_busy{0};
    std::atomic<uint64_t> refused_per_source{0};  // over the per-address limit (TCP listener)
    std::atomic<uint64_t> accept_errors{0};       // accept() failed, retried later (TCP listener)
    std::atomic<uint64_t> open_connections{0};
    std::atomic<uint64_t> opened_sessions{0};
    std::atomic<uint64_t> timed_out{0};
    std::atomic<uint64_t> write_timeouts{0};
};

// The listener's statistics (both listeners report the same TcpStats).
inline TcpStats snapshot(const Counters& c) {
    return TcpStats{.accepted = c.accepted,
                    .refused_busy = c.refused_busy,
                    .refused_per_source = c.refused_per_source,
                    .accept_errors = c.accept_errors,
                    .open_connections = c.open_connections,
                    .opened_sessions = c.opened_sessions,
                    .timed_out = c.timed_out,
                    .write_timeouts = c.write_timeouts};
}

struct Limits {
    size_t send_queue_max_bytes = 1 << 20;
    uint64_t write_timeout_ms = 30'000;
};

enum class ReadResult : uint8_t {
    payload,      // one frame payload
    frame_error,  // the transport refused a frame before reading it (too large, not binary)
    closed,       // the peer closed, or the read failed
};

inline std::function<uint64_t()> steady_now_ms() {
    return [] {
        return static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
    };
}

// Where the receipt sink's completions (from its own thread) go: the listener's I/O thread, while
// it exists. The listener detaches it after joining its thread, before the io_context goes, so a
// late completion is dropped instead of posted to a destroyed io_context.
class CompletionPost {
public:
    explicit CompletionPost(boost::asio::io_context& io) : m_io(&io) {}
    void post(std::function<void()> handler) {
        std::lock_guard lock(m_mutex);
        if (m_io) boost::asio::post(*m_io, std::move(handler));
    }
    void detach() {
        std::lock_guard lock(m_mutex);
        m_io = nullptr;
    }

private:
    std::mutex m_mutex;
    boost::asio::io_context* m_io;
};

template <class Transport>
class Connection : public std::enable_shared_from_this<Connection<Transport>> {
public:
    Connection(Transport transport, SessionContext context, ReceiptSink& receipts, std::shared_ptr<CompletionPost> completions,
               const SessionOptions& session_options, Limits limits, std::function<uint64_t()> now_ms, Counters& counters,
               std::function<void(uint64_t)> on_closed, uint64_t id)
        : m_transport(std::move(transport)), m_timer(m_transport.executor()), m_receipts(receipts),
          m_completions(std::move(completions)), m_now_ms(std::move(now_ms)), m_limits(limits), m_counters(counters),
          m_on_closed(std::move(on_closed)), m_id(id), m_session(std::move(context), session_options, m_now_ms()) {}

    void start() {
        m_transport.start();
        read_frame();
        pump();
        arm_timer();
    }

    void close() {
        if (m_closed) return;
        m_closed = true;
        m_timer.cancel();
        m_transport.close();
        // A receipt that came while another was being recorded is owed even if the client left.
        if (auto owed = m_session.take_receipt_at_close()) m_receipts.record(*owed, [](Result<void, ReceiptSinkError>) {});
        if (m_session.termination() == TerminationReason::timeout) ++m_counters.timed_out;
        m_on_closed(m_id);  // drops the server's reference: the last handler's releases this
    }

private:
    void read_frame() {
        if (m_closed) return;
        m_transport.async_read_frame([self = this->shared_from_this()](ReadResult result, ByteSpan payload, FrameError error) {
            if (self->m_closed) return;
            if (result == ReadResult::closed) return self->close();
            if (result == ReadResult::frame_error) {
                self->m_session.on_frame_error(error);
                return self->pump();
            }
            const bool was_open = self->m_session.session() != nullptr;
            self->m_session.on_frame(payload, self->m_now_ms());
            if (!was_open && self->m_session.session()) ++self->m_counters.opened_sessions;
            self->record_receipt();
            self->pump();
            self->arm_timer();
            if (!self->m_session.finished() && !self->m_session.termination()) self->read_frame();
        });
    }

    // Hands the session's newest verified receipt to the sink; the I/O thread goes on streaming
    // what the window allows. The completion comes back on the I/O thread, where the session
    // counts the receipt (or ends), and the next waiting receipt goes. The sink holds no strong
    // reference to the connection: a closed one is not kept alive for its completion.
    void record_receipt() {
        if (m_closed) return;
        auto receipt = m_session.take_receipt_to_record();
        if (!receipt) return;
        const uint64_t amount = receipt->receipt.amount;
        m_receipts.record(*receipt, [weak = this->weak_from_this(), completions = m_completions, amount](Result<void, ReceiptSinkError> result) {
            completions->post([weak, amount, result] {
                const auto self = weak.lock();
                if (!self) return;  // counted on the session even if the connection closed meanwhile (a resumed one sees it)
                self->m_session.receipt_recorded(amount, result);
                self->record_receipt();
                self->pump();  // a failed recording ended the session: pump closes once its terminate frame is written
                self->arm_timer();
            });
        });
    }

    void pump() {
        if (m_closed) return;
        const uint64_t now = m_now_ms();
        while (m_queued_bytes < m_limits.send_queue_max_bytes) {
            auto frame = m_session.next_frame(now);
            if (!frame) break;
            m_queued_bytes += frame->size();
            m_queue.push_back(std::move(*frame));
        }
        if (m_queue.empty() && m_session.finished()) return close();
        if (!m_writing) write_next();
        arm_timer();
    }

    void write_next() {
        if (m_queue.empty() || m_closed) return;
        m_writing = true;
        m_write_started_ms = m_now_ms();
        m_transport.async_write_frame(m_queue.front(), [self = this->shared_from_this()](boost::system::error_code ec) {
            self->m_writing = false;
            if (self->m_closed) return;
            if (ec) return self->close();
            self->arm_timer();
            self->m_queued_bytes -= self->m_queue.front().size();
            self->m_queue.pop_front();
            self->pump();
        });
    }

    std::optional<uint64_t> next_deadline_ms() const {
        auto deadline = m_session.next_deadline_ms();
        if (m_writing) {
            const uint64_t write_deadline = m_write_started_ms + m_limits.write_timeout_ms;
            deadline = deadline ? std::min(*deadline, write_deadline) : write_deadline;
        }
        return deadline;
    }

    void arm_timer() {
        if (m_closed) return;
        const auto deadline = next_deadline_ms();
        if (deadline == m_armed_deadline_ms) return;
        m_armed_deadline_ms = deadline;
        m_timer.cancel();
        if (!deadline) return;
        const uint64_t now = m_now_ms();
        m_timer.expires_after(std::chrono::milliseconds(*deadline > now ? *deadline - now : 0));
        m_timer.async_wait([self = this->shared_from_this(), deadline](boost::system::error_code ec) {
            if (ec || self->m_closed || self->m_armed_deadline_ms != deadline) return;
            self->m_armed_deadline_ms.reset();
            const uint64_t fired_ms = self->m_now_ms();
            if (self->m_writing && fired_ms >= self->m_write_started_ms + self->m_limits.write_timeout_ms) {
                ++self->m_counters.write_timeouts;  // the client stopped reading: nothing more can reach it
                return self->close();
            }
            self->m_session.tick(fired_ms);
            self->pump();
            self->arm_timer();
        });
    }

    Transport m_transport;
    boost::asio::steady_timer m_timer;
    ReceiptSink& m_receipts;
    std::shared_ptr<CompletionPost> m_completions;
    std::function<uint64_t()> m_now_ms;
    Limits m_limits;
    Counters& m_counters;
    std::function<void(uint64_t)> m_on_closed;
    uint64_t m_id;
    HandshakeConnection m_session;
    std::deque<OutFrame> m_queue;
    size_t m_queued_bytes = 0;
    bool m_writing = false;
    uint64_t m_write_started_ms = 0;
    bool m_closed = false;
    std::optional<uint64_t> m_armed_deadline_ms;
};

}  // namespace fleek::edge::handshake::io
