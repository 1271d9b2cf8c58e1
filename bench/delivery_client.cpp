// Load client of the paid delivery benchmark (bench/delivery_bench.sh, docs/benchmarks.md "Paid
// delivery"): a real client of a `fleek-node run` process over its handshake TCP port
// (docs/formats/handshake.md), doing what a client does — edge::handshake::HandshakeClient signs
// the open, checks the node's signature, verifies every block and signs a receipt every
// receipt_interval_bytes — over a blocking loopback socket.
//
//   delivery_client fetch PORT NODE_KEY CLIENT_KEY_FILE HASH [OUT_FILE]
//       one paid session fetching the whole content; verified blocks go to OUT_FILE (or are
//       dropped); prints "seconds verified_bytes signed_bytes".
//   delivery_client sessions PORT NODE_KEY CLIENT_KEY_FILE CLIENTS TOTAL
//       TOTAL sessions opened and closed (connect, challenge, open, opened verified, close) by
//       CLIENTS threads at once; prints "sessions seconds sessions_per_second".
//   delivery_client connects PORT NODE_KEY CLIENT_KEY_FILE CLIENTS TOTAL
//       the reference for `sessions`: the same connections, each closed as soon as the node's
//       challenge arrived (TCP setup, the node's accept and challenge, no open, no signature).
// Exits 1 with a message on any failure (a refusal, a termination, a block that does not verify).
#include "crypto/key_file.h"
#include "crypto/random.h"
#include "edge/handshake_client.h"
#include "util/encoding.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fleek {
namespace {

namespace hs = edge::handshake;

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "delivery_client: %s\n", message.c_str());
    std::exit(1);
}

// A blocking loopback TCP connection.
class Connection {
public:
    explicit Connection(uint16_t port) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (m_fd < 0) die("socket() failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
            die(fmt::format("cannot connect to 127.0.0.1:{}", port));
        }
        const int one = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // receipts leave at once
    }
    ~Connection() { ::close(m_fd); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void send_all(const std::vector<Bytes>& frames) {
        for (const Bytes& frame : frames) {
            size_t done = 0;
            while (done < frame.size()) {
                const ssize_t n = ::send(m_fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
                if (n <= 0) die("send failed: the node closed the connection");
                done += static_cast<size_t>(n);
            }
        }
    }
    // Bytes received into `buffer`; 0 at end of stream.
    size_t receive(MutableByteSpan buffer) {
        const ssize_t n = ::recv(m_fd, buffer.data(), buffer.size(), 0);
        if (n < 0) die("recv failed");
        return static_cast<size_t>(n);
    }

private:
    int m_fd;
};

// Drives one HandshakeClient over one connection until `done(client)` holds after a frame.
// `on_open` runs once when the session opened and returns the frame to send then (may be empty).
template <class OnOpen, class Done>
void run_session(Connection& connection, hs::HandshakeClient& client, Bytes& buffer, OnOpen on_open, Done done) {
    hs::FrameSplitter splitter(hs::node_frame_max_bytes);
    std::vector<Bytes> out;
    bool opened = false;
    while (true) {
        const size_t n = connection.receive(buffer);
        if (n == 0) die("the node closed the connection");
        out.clear();
        std::optional<hs::ClientError> error;
        auto split = splitter.feed(ByteSpan(buffer.data(), n), [&](ByteSpan payload) {
            auto fed = client.on_frame(payload, out);
            if (!fed) error = fed.error();
            return fed.has_value();
        });
        if (error) {
            std::string detail;
            if (client.termination()) detail = fmt::format(" (termination reason {})", static_cast<int>(*client.termination()));
            if (client.refusal()) detail = fmt::format(" (refusal {})", static_cast<int>(*client.refusal()));
            die(fmt::format("session failed: {}{}", hs::to_string(*error), detail));
        }
        if (!split) die("the node sent a frame that does not decode");
        if (client.is_open() && !opened) {
            opened = true;
            Bytes first = on_open();
            if (!first.empty()) out.push_back(std::move(first));
        }
        connection.send_all(out);
        if (done(client)) return;
    }
}

// Reads the node's first frame and checks it is a challenge; sends nothing.
void receive_challenge(Connection& connection, Bytes& buffer) {
    hs::FrameSplitter splitter(hs::node_frame_max_bytes);
    bool got_frame = false;
    bool challenged = false;
    while (!got_frame) {
        const size_t n = connection.receive(buffer);
        if (n == 0) die("the node closed the connection before its challenge");
        auto split = splitter.feed(ByteSpan(buffer.data(), n), [&](ByteSpan payload) {
            got_frame = true;
            auto frame = hs::decode_node_frame(payload);
            challenged = frame && std::holds_alternative<hs::Challenge>(*frame);
            return false;
        });
        if (!split) die("the node sent a frame that does not decode");
    }
    if (!challenged) die("the node's first frame is not a challenge");
}

struct Target {
    uint16_t port = 0;
    crypto::NodePublicKey node;
    crypto::ClientSecretKey key;
};

Target parse_target(char** argv) {
    const int port = std::atoi(argv[0]);
    if (port <= 0 || port > 65535) die(fmt::format("bad port {}", argv[0]));
    auto node = crypto::NodePublicKey::from_base58(argv[1]);
    if (!node) die(fmt::format("bad node key {}", argv[1]));
    auto key = crypto::load_client_key(argv[2]);
    if (!key) die(key.error().message);
    return Target{static_cast<uint16_t>(port), *node, std::move(*key)};
}

hs::ClientOptions new_session(const Target& target) {
    ledger::SessionId session_id{};
    crypto::random_bytes(session_id);
    return hs::ClientOptions{.node = target.node,
                             .chain_id = std::nullopt,
                             .session_id = session_id,
                             .service = 0,
                             .resume_token = std::nullopt,
                             .acknowledged_bytes = 0};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int fetch(char** argv, int argc) {
    const Target target = parse_target(argv);
    auto hash = hex_decode(argv[3]);
    if (!hash || hash->size() != 32) die(fmt::format("bad hash {}", argv[3]));
    hs::Hash32 content_hash{};
    std::copy(hash->begin(), hash->end(), content_hash.begin());
    int out_fd = -1;
    if (argc > 4) {
        out_fd = ::open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (out_fd < 0) die(fmt::format("cannot write {}", argv[4]));
    }
    Bytes buffer(1 << 20);
    const auto start = std::chrono::steady_clock::now();
    Connection connection(target.port);
    hs::HandshakeClient client(target.key.clone(), new_session(target));
    bool write_failed = false;
    run_session(
        connection, client, buffer,
        [&] {
            return client.request(content_hash, std::nullopt, [&](uint64_t, ByteSpan block) {
                if (out_fd < 0) return true;
                size_t done = 0;
                while (done < block.size()) {
                    const ssize_t n = ::write(out_fd, block.data() + done, block.size() - done);
                    if (n <= 0) {
                        write_failed = true;
                        return false;
                    }
                    done += static_cast<size_t>(n);
                }
                return true;
            });
        },
        [](const hs::HandshakeClient& c) { return c.is_open() && c.request_done(); });
    // The last receipt is sent by run_session before it returns: the session is complete.
    const double seconds = seconds_since(start);
    if (out_fd >= 0) ::close(out_fd);
    if (write_failed) die("writing the output failed");
    if (client.signed_bytes() != client.verified_bytes()) die("the last receipt does not cover every verified byte");
    std::printf("%.6f %llu %llu\n", seconds, static_cast<unsigned long long>(client.verified_bytes()),
                static_cast<unsigned long long>(client.signed_bytes()));
    return 0;
}

// `full`: open each session (sign, verify the node's answer); otherwise stop at the challenge.
int sessions(char** argv, bool full) {
    const Target target = parse_target(argv);
    const int clients = std::atoi(argv[3]);
    const long total = std::atol(argv[4]);
    if (clients <= 0 || total <= 0) die("CLIENTS and TOTAL must be positive");
    std::atomic<long> next{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&] {
            Bytes buffer(64 * 1024);
            while (next.fetch_add(1) < total) {
                Connection connection(target.port);
                hs::HandshakeClient client(target.key.clone(), new_session(target));
                if (full) {
                    run_session(connection, client, buffer, [] { return Bytes{}; },
                                [](const hs::HandshakeClient& c) { return c.is_open(); });
                } else {
                    receive_challenge(connection, buffer);
                }
            }  // closing the socket closes the session's connection
        });
    }
    for (auto& thread : threads) thread.join();
    const double seconds = seconds_since(start);
    std::printf("%ld %.6f %.1f\n", total, seconds, static_cast<double>(total) / seconds);
    return 0;
}

}  // namespace
}  // namespace fleek

int main(int argc, char** argv) {
    const std::string usage =
        "usage: delivery_client fetch PORT NODE_KEY CLIENT_KEY_FILE HASH [OUT_FILE]\n"
        "       delivery_client sessions|connects PORT NODE_KEY CLIENT_KEY_FILE CLIENTS TOTAL\n";
    if (argc >= 6 && std::string(argv[1]) == "fetch" && argc <= 7) return fleek::fetch(argv + 2, argc - 2);
    if (argc == 7 && std::string(argv[1]) == "sessions") return fleek::sessions(argv + 2, true);
    if (argc == 7 && std::string(argv[1]) == "connects") return fleek::sessions(argv + 2, false);
    std::fputs(usage.c_str(), stderr);
    return 2;
}
