#include "node/raw_ingest.h"

#include "codec/codec.h"
#include "util/assert.h"
#include "util/log.h"

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace fleek::node {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// A frame is a codec `bytes` field (u32 LE length, then the bytes) with its own bounds.
Result<std::optional<RawFrame>, RawFrameError> next_raw_frame(ByteSpan buffer) {
    codec::Reader reader(buffer);
    auto length = reader.u32();
    if (!length) return std::optional<RawFrame>{};
    if (*length == 0 || *length > raw_frame_bytes_max) return fail(RawFrameError::length_out_of_bounds);
    if (reader.remaining() < *length) return std::optional<RawFrame>{};
    return std::optional<RawFrame>{RawFrame{buffer.subspan(4, *length), size_t{4} + *length}};
}

Bytes encode_raw_frame(ByteSpan transaction) {
    FLEEK_ASSERT(!transaction.empty());
    codec::Writer writer(4 + transaction.size());
    writer.bytes(transaction, raw_frame_bytes_max);
    return writer.take();
}

struct RawIngest::Impl {
    net::io_context io;
    tcp::acceptor acceptor{io};
    std::function<bool(Bytes)> on_transaction;
    std::thread thread;
    std::atomic<uint64_t> received{0};
    std::atomic<uint64_t> waits{0};

    struct Connection : std::enable_shared_from_this<Connection> {
        Impl& owner;
        tcp::socket socket;
        std::vector<uint8_t> buffer;
        size_t used = 0;
        explicit Connection(Impl& impl, tcp::socket s) : owner(impl), socket(std::move(s)), buffer(size_t{4} << 20) {}

        net::steady_timer retry{socket.get_executor()};

        enum class Drained { more, full, bad };

        void read() {
            auto self = shared_from_this();
            socket.async_read_some(net::buffer(buffer.data() + used, buffer.size() - used),
                                   [self](const boost::system::error_code& error, size_t bytes) {
                                       if (error) return;
                                       self->used += bytes;
                                       self->after_drain(self->drain());
                                   });
        }

        void after_drain(Drained drained) {
            if (drained == Drained::more) return read();
            if (drained == Drained::bad) return;
            // The node is full: stop reading (TCP pushes back on the client) and try again soon.
            auto self = shared_from_this();
            retry.expires_after(std::chrono::milliseconds(5));
            retry.async_wait([self](const boost::system::error_code& error) {
                if (!error) self->after_drain(self->drain());
            });
        }

        // Hands out every complete frame; stops at the first one the node cannot take yet.
        Drained drain() {
            size_t offset = 0;
            Drained result = Drained::more;
            for (;;) {
                auto frame = next_raw_frame(ByteSpan(buffer.data() + offset, used - offset));
                if (!frame) {
                    FLEEK_LOG_WARN("raw-ingest", "closing a connection: a frame length is 0 or above {} bytes", raw_frame_bytes_max);
                    return Drained::bad;
                }
                if (!*frame) break;
                if (!owner.on_transaction(Bytes((*frame)->transaction.begin(), (*frame)->transaction.end()))) {
                    ++owner.waits;
                    result = Drained::full;
                    break;
                }
                ++owner.received;
                offset += (*frame)->frame_bytes;
            }
            std::copy(buffer.begin() + static_cast<long>(offset), buffer.begin() + static_cast<long>(used), buffer.begin());
            used -= offset;
            return result;
        }
    };

    void accept() {
        acceptor.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
            if (error) return;
            std::make_shared<Connection>(*this, std::move(socket))->read();
            accept();
        });
    }
};

RawIngest::RawIngest(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
RawIngest::~RawIngest() { stop(); }

Result<std::unique_ptr<RawIngest>, std::string> RawIngest::start(const std::string& host, uint16_t port,
                                                                 std::function<bool(Bytes)> on_transaction) {
    auto impl = std::make_unique<Impl>();
    impl->on_transaction = std::move(on_transaction);
    boost::system::error_code error;
    const auto address = net::ip::make_address(host, error);
    if (error) return fail(fmt::format("raw transactions address: bad host {}", host));
    const tcp::endpoint endpoint(address, port);
    impl->acceptor.open(endpoint.protocol(), error);
    if (!error) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) impl->acceptor.bind(endpoint, error);
    if (!error) impl->acceptor.listen(net::socket_base::max_listen_connections, error);
    if (error) return fail(fmt::format("cannot listen for raw transactions on {}:{}: {}", host, port, error.message()));
    impl->accept();
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->io.run(); });
    return std::unique_ptr<RawIngest>(new RawIngest(std::move(impl)));
}

uint16_t RawIngest::port() const { return m_impl->acceptor.local_endpoint().port(); }
uint64_t RawIngest::received() const { return m_impl->received; }
uint64_t RawIngest::backpressure_waits() const { return m_impl->waits; }

void RawIngest::stop() {
    if (!m_impl) return;
    m_impl->io.stop();
    if (m_impl->thread.joinable()) m_impl->thread.join();
}

}  // namespace fleek::node
