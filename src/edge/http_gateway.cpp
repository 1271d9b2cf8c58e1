// Boost.Beast and coroutines live here and nowhere else in the gateway: this file costs most of
// the module's compile time.
#include "edge/http_gateway.h"

#include "content/stream.h"
#include "edge/gateway_auth.h"
#include "edge/handshake_route.h"
#include "edge/handshake_ws.h"
#include "edge/http_routes.h"
#include "edge/ipfs_routes.h"
#include "edge/peer_content.h"
#include "edge/source_connection_budget.h"
#include "ipld/car.h"
#include "net/source_address.h"
#include "origins/http_origin.h"
#include "origins/ipfs_origin.h"
#include "util/encoding.h"
#include "util/log.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <sstream>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <thread>
#include <vector>

namespace fleek::edge {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using content::BlockstoreError;
using content::ObjectKind;

namespace {

constexpr auto with_error = net::as_tuple(net::use_awaitable);
constexpr size_t upload_chunk_size = size_t{1} << 20;
constexpr std::string_view immutable = "public, max-age=31536000, immutable";

Method method_of(http::verb verb) {
    switch (verb) {
        case http::verb::get: return Method::get;
        case http::verb::head: return Method::head;
        case http::verb::put: return Method::put;
        case http::verb::delete_: return Method::del;
        default: return Method::other;
    }
}

std::string json_error(std::string_view message) { return nlohmann::json{{"error", message}}.dump(); }

std::string stored_answer(const content::Hash32& hash, uint64_t size) {
    return nlohmann::json{{"hash", hex_encode(hash)}, {"size", size}}.dump();
}

std::string directory_answer(const content::Hash32& hash, size_t entries) {
    return nlohmann::json{{"hash", hex_encode(hash)}, {"entries", entries}}.dump();
}

http::status status_for(BlockstoreError error) {
    switch (error) {
        case BlockstoreError::not_found: return http::status::not_found;
        case BlockstoreError::not_a_directory:
        case BlockstoreError::not_a_file: return http::status::not_found;
        case BlockstoreError::invalid_path: return http::status::bad_request;
        case BlockstoreError::hash_mismatch:
        case BlockstoreError::invalid_directory:
        case BlockstoreError::missing_child: return http::status::unprocessable_entity;
        case BlockstoreError::too_large:
        case BlockstoreError::quota_exceeded: return http::status::payload_too_large;
        case BlockstoreError::upload_space_full: return http::status::insufficient_storage;
        case BlockstoreError::corrupt:
        case BlockstoreError::io: return http::status::internal_server_error;
    }
    return http::status::internal_server_error;
}

// Extra response headers. Built by plain functions: GCC 12 miscompiles initializer lists
// inside co_await expressions ("array used as initializer").
using Headers = std::vector<std::pair<std::string, std::string>>;

Headers immutable_headers(const content::Hash32& hash) {
    return {{"ETag", entity_tag(hash)}, {"Cache-Control", std::string(immutable)}};
}

// X-Fleek-Kind tells clients whether a hash names a file or a directory before they ask for
// its body. It is a hint: what follows is verified against the hash either way.
constexpr std::string_view kind_header = "X-Fleek-Kind";

Headers directory_headers(const content::Hash32& hash) {
    Headers headers = immutable_headers(hash);
    headers.emplace_back(std::string(kind_header), "directory");
    return headers;
}

// The HTTP/1.1 header block of `response` as text, ending with the blank line.
std::string serialized_header(const http::response<http::empty_body>& response) {
    std::ostringstream out;
    out << response.base();
    return std::move(out).str();
}

template <class... Buffers>
std::vector<net::const_buffer> buffers_of(Buffers... buffers) {
    std::vector<net::const_buffer> out;
    (out.push_back(buffers), ...);
    return out;
}

Headers one_header(std::string_view name, std::string value) {
    Headers headers;
    headers.emplace_back(std::string(name), std::move(value));
    return headers;
}

// What a request needs from its header once the parser is gone.
struct RequestInfo {
    unsigned version = 11;
    bool keep_alive = true;
    bool head = false;
};

// Content uploaded by anyone is served from the node's own origin: browsers must neither guess
// a type (an uploaded .txt run as HTML) nor give its scripts the node's origin (sandbox: an
// opaque origin, no scripts, no forms). On every response, errors included.
template <class Fields>
void set_security_headers(Fields& response) {
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Content-Security-Policy", "sandbox");
}

// Why a request to a route that needs an operator token is turned away, if it is.
struct Denial {
    http::status status;
    std::string message;
};
std::optional<Denial> denial_for(const Authorization& authorization, bool require_token) {
    switch (authorization.outcome) {
        case AuthOutcome::authorized: return std::nullopt;
        case AuthOutcome::malformed:
            return Denial{http::status::unauthorized, "the Authorization header must be `Bearer <token>`"};
        case AuthOutcome::invalid:
            return Denial{http::status::unauthorized, "the token is not one of this node's operator tokens (gateway.token_path)"};
        case AuthOutcome::anonymous:
            if (!require_token) return std::nullopt;
            return Denial{http::status::unauthorized,
                          "this route needs an operator token: Authorization: Bearer <token> (gateway.token_path on the node)"};
    }
    return Denial{http::status::unauthorized, "not authorized"};
}

}  // namespace

struct HttpGateway::Impl {
    Impl(const GatewayOptions& gateway_options, content::Blockstore& blockstore)
        : options(gateway_options),
          store(blockstore),
          acceptor(ioc),
          by_source(gateway_options.max_connections_per_source),
          fetch_pool(std::max(1u, gateway_options.fetch_threads)) {}

    GatewayOptions options;
    content::Blockstore& store;
    net::io_context ioc;
    tcp::acceptor acceptor;
    std::vector<std::thread> threads;
    std::atomic<size_t> connections{0};
    SourceConnectionBudget by_source;  // a unit per open connection, until it ends or is handed over
    std::atomic<uint64_t> refused_per_source{0};
    std::atomic<bool> stopped{false};
    // Origin fetches block for seconds (network, hashing, disk): they run here, never on the
    // I/O threads, and the connection's coroutine waits for them without holding a thread.
    net::thread_pool fetch_pool;

    // ----------------------------------------------------------------------------- plumbing

    void expire(beast::tcp_stream& stream) const {
        stream.expires_after(std::chrono::milliseconds(options.idle_timeout_ms));
    }

    awaitable<bool> send_text(beast::tcp_stream& stream, const RequestInfo& request, http::status status,
                              std::string body, std::string_view content_type, Headers extra = Headers()) {
        http::response<http::string_body> response{status, request.version};
        response.set(http::field::server, "fleek-node");
        response.set(http::field::content_type, content_type);
        for (const auto& [field, value] : extra) response.set(field, value);
        set_security_headers(response);
        response.keep_alive(request.keep_alive);
        response.body() = std::move(body);
        response.prepare_payload();
        if (request.head) response.body().clear();  // Content-Length stays that of the GET
        expire(stream);
        if (request.head) {
            http::response_serializer<http::string_body> serializer{response};
            auto [error, bytes] = co_await http::async_write_header(stream, serializer, with_error);
            co_return !error && request.keep_alive;
        }
        auto [error, bytes] = co_await http::async_write(stream, response, with_error);
        co_return !error && request.keep_alive;
    }

    awaitable<bool> send_error(beast::tcp_stream& stream, const RequestInfo& request, http::status status,
                               std::string_view message) {
        return send_text(stream, request, status, json_error(message), "application/json");
    }

    // Writes a header for a body we send ourselves, block by block.
    awaitable<bool> send_header(beast::tcp_stream& stream, http::response<http::empty_body>& response) {
        response.set(http::field::server, "fleek-node");
        set_security_headers(response);
        http::response_serializer<http::empty_body> serializer{response};
        expire(stream);
        auto [error, bytes] = co_await http::async_write_header(stream, serializer, with_error);
        co_return !error;
    }

    awaitable<bool> send_bytes(beast::tcp_stream& stream, std::vector<net::const_buffer> buffers) {
        expire(stream);
        auto [error, bytes] = co_await net::async_write(stream, buffers, with_error);
        co_return !error;
    }

    // Waits until the socket takes bytes again, at most the idle timeout.
    awaitable<bool> wait_writable(tcp::socket& socket) {
        net::steady_timer timer(socket.get_executor());
        timer.expires_after(std::chrono::milliseconds(options.idle_timeout_ms));
        // The flag keeps an expiry already queued when the wait ends from touching the socket.
        auto waiting = std::make_shared<bool>(true);
        timer.async_wait([&socket, waiting](const beast::error_code& error) {
            if (error || !*waiting) return;
            beast::error_code ignored;
            socket.cancel(ignored);
        });
        auto [error] = co_await socket.async_wait(tcp::socket::wait_write, with_error);
        *waiting = false;
        timer.cancel();
        co_return !error;
    }

    // `header` (may be empty), then bytes [offset, offset + length) of a sealed block's memory
    // file with sendfile: its pages go to the socket without being copied, and the seal means
    // they are the bytes that were verified. MSG_MORE lets the header share the body's segments.
    awaitable<bool> send_sealed(beast::tcp_stream& stream, std::string_view header, int file, uint64_t offset, uint64_t length) {
        tcp::socket& socket = stream.socket();
        beast::error_code mode_error;
        socket.native_non_blocking(true, mode_error);
        if (mode_error) co_return false;
        const int fd = socket.native_handle();
        size_t header_sent = 0;
        while (header_sent < header.size()) {
            const ssize_t put = ::send(fd, header.data() + header_sent, header.size() - header_sent, MSG_MORE | MSG_NOSIGNAL);
            if (put >= 0) {
                header_sent += static_cast<size_t>(put);
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!co_await wait_writable(socket)) co_return false;
            } else if (errno != EINTR) {
                co_return false;
            }
        }
        off_t position = static_cast<off_t>(offset);
        uint64_t left = length;
        while (left > 0) {
            // A peer that reset the connection raises SIGPIPE here (sendfile has no MSG_NOSIGNAL):
            // the I/O threads block it (see start()), and the call fails with EPIPE.
            const ssize_t put = ::sendfile(fd, file, &position, left);
            if (put > 0) {
                left -= static_cast<uint64_t>(put);
            } else if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!co_await wait_writable(socket)) co_return false;
            } else if (put == 0 || errno != EINTR) {
                co_return false;
            }
        }
        co_return true;
    }

    // ----------------------------------------------------------------------------- GET / HEAD

    awaitable<bool> serve_content(beast::tcp_stream& stream, const RequestInfo& request, const Route& route,
                                  const http::request<http::empty_body>& header, bool fetched = false) {
        // One lookup: an eviction between two would leave the second one empty.
        const auto info = store.info(route.hash);
        if (!info) {
            if (!fetched && fetches_on_miss(header)) co_return co_await serve_miss(stream, request, route, header);
            co_return co_await send_error(stream, request, http::status::not_found, "content not found");
        }
        if (options.peer_content != nullptr && !fetched) options.peer_content->count(ServedFrom::local);
        content::Blockstore::Resolved target{route.hash, info->kind};
        if (!route.path.empty()) {
            auto resolved = store.resolve_path(route.hash, route.path);
            if (!resolved) {
                co_return co_await send_error(stream, request, status_for(resolved.error()),
                                              fmt::format("{}: {}", route.path, to_string(resolved.error())));
            }
            target = *resolved;
        }
        if (if_none_match(header[http::field::if_none_match], target.hash)) {
            co_return co_await send_text(stream, request, http::status::not_modified, "", "application/octet-stream",
                                         immutable_headers(target.hash));
        }
        if (target.kind == ObjectKind::directory) co_return co_await serve_directory(stream, request, route, target.hash);
        if (route.format == ContentFormat::directory) {
            co_return co_await send_error(stream, request, http::status::bad_request, "not a directory");
        }
        if (route.format == ContentFormat::verified) {
            auto tree = store.tree(target.hash);
            if (!tree) co_return co_await send_error(stream, request, status_for(tree.error()), to_string(tree.error()));
            co_return co_await serve_verified(stream, request, route, target.hash, **tree);
        }
        Headers extra;
        extra.emplace_back(std::string(kind_header), "file");
        co_return co_await serve_file(stream, request, header, target.hash,
                                      route.path.empty() ? "application/octet-stream" : content_type_for(route.path.substr(route.path.rfind('/') + 1)),
                                      entity_tag(target.hash), std::string(immutable), std::move(extra));
    }

    // The bytes of a stored file, with Range, each block verified before it is sent.
    awaitable<bool> serve_file(beast::tcp_stream& stream, const RequestInfo& request, const http::request<http::empty_body>& header,
                               const content::Hash32& hash, std::string_view content_type, std::string etag,
                               std::string cache_control, Headers extra) {
        auto tree = store.tree(hash);
        if (!tree) co_return co_await send_error(stream, request, status_for(tree.error()), to_string(tree.error()));
        const uint64_t length = (*tree)->content_length();
        std::string_view if_range = header[http::field::if_range];
        RangeResult range = parse_range(header[http::field::range], length);
        if (!if_range.empty() && if_range != etag) range = RangeResult{};
        if (range.kind == RangeKind::unsatisfiable) {
            co_return co_await send_text(stream, request, http::status::range_not_satisfiable,
                                         json_error("range not satisfiable"), "application/json",
                                         one_header("Content-Range", fmt::format("bytes */{}", length)));
        }
        const bool partial = range.kind == RangeKind::satisfiable;
        const uint64_t first = partial ? range.range.first : 0;
        const uint64_t end = partial ? range.range.last + 1 : length;

        // The first block is read and verified before the header goes out, so corruption found
        // there becomes a clean error response.
        const uint64_t first_block = first / content::block_size;
        content::BlockBuffer block;
        if (end > first) {
            auto read = store.read_block(hash, first_block);
            if (!read) {
                co_return co_await send_error(stream, request, status_for(read.error()),
                                              read.error() == BlockstoreError::corrupt
                                                  ? "stored content failed verification and is not served"
                                                  : to_string(read.error()));
            }
            block = *read;
        }
        http::response<http::empty_body> response{partial ? http::status::partial_content : http::status::ok, request.version};
        response.content_length(end - first);
        response.set(http::field::etag, etag);
        response.set(http::field::cache_control, cache_control);
        response.set(http::field::accept_ranges, "bytes");
        for (const auto& [field, value] : extra) response.set(field, value);
        response.set(http::field::content_type, content_type);
        if (partial) response.set(http::field::content_range, fmt::format("bytes {}-{}/{}", first, end - 1, length));
        response.keep_alive(request.keep_alive);
        if (request.head || end == first) {
            if (!co_await send_header(stream, response)) co_return false;
            co_return request.keep_alive;
        }

        // The header goes out in the same write as the first block's bytes: one writev per
        // object of one block instead of two writes.
        response.set(http::field::server, "fleek-node");
        set_security_headers(response);
        std::string header_text = serialized_header(response);
        uint64_t position = first;
        for (uint64_t k = first_block; position < end; ++k) {
            if (!block) {
                auto read = store.read_block(hash, k);
                if (!read) {
                    // The header is out: the only honest signal left is to cut the connection,
                    // so the client sees fewer bytes than Content-Length.
                    FLEEK_LOG_ERROR("gateway", "aborting response for {}: block {}: {}", hex_encode(hash), k,
                                    to_string(read.error()));
                    co_return false;
                }
                block = *read;
            }
            const uint64_t within = position - k * content::block_size;
            const uint64_t take = std::min<uint64_t>(block->size() - within, end - position);
            if (block->sealed_fd() >= 0) {
                if (!co_await send_sealed(stream, header_text, block->sealed_fd(), within, take)) co_return false;
                header_text.clear();
            } else if (!header_text.empty()) {
                if (!co_await send_bytes(stream, buffers_of(net::buffer(header_text), net::buffer(block->data() + within, take)))) co_return false;
                header_text.clear();
            } else if (!co_await send_bytes(stream, buffers_of(net::buffer(block->data() + within, take)))) {
                co_return false;
            }
            position += take;
            block.reset();
        }
        co_return request.keep_alive;
    }

    awaitable<bool> serve_directory(beast::tcp_stream& stream, const RequestInfo& request, const Route& route,
                                    const content::Hash32& hash) {
        auto directory = store.directory(hash);
        if (!directory) co_return co_await send_error(stream, request, status_for(directory.error()), to_string(directory.error()));
        if (route.format == ContentFormat::verified) {
            co_return co_await send_error(stream, request, http::status::bad_request,
                                          "a directory has no verified stream; ask for ?format=dir");
        }
        if (route.format == ContentFormat::directory) {
            const Bytes encoded = directory->encode();
            co_return co_await send_text(stream, request, http::status::ok, std::string(as_string_view(encoded)),
                                         "application/vnd.fleek.directory", directory_headers(hash));
        }
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& entry : directory->entries()) {
            nlohmann::json item{{"name", entry.name}};
            switch (entry.kind) {
                case content::EntryKind::file: item["kind"] = "file", item["hash"] = hex_encode(entry.hash); break;
                case content::EntryKind::directory: item["kind"] = "directory", item["hash"] = hex_encode(entry.hash); break;
                case content::EntryKind::symlink: item["kind"] = "symlink", item["target"] = entry.target; break;
            }
            entries.push_back(std::move(item));
        }
        const nlohmann::json listing{{"hash", hex_encode(hash)}, {"entries", std::move(entries)}};
        co_return co_await send_text(stream, request, http::status::ok, listing.dump(2) + "\n", "application/json",
                                     directory_headers(hash));
    }

    awaitable<bool> serve_verified(beast::tcp_stream& stream, const RequestInfo& request, const Route& route,
                                   const content::Hash32& hash, const content::HashTree& tree) {
        const uint64_t blocks = tree.blocks();
        const uint64_t start = route.start_block.value_or(0);
        const uint64_t stop = route.end_block.value_or(blocks);
        if (start > stop || stop > blocks) {
            co_return co_await send_error(stream, request, http::status::range_not_satisfiable,
                                          fmt::format("block range {}-{} is outside 0-{}", start, stop, blocks));
        }
        std::vector<Bytes> proofs;
        uint64_t total = content::stream_header_size;
        content::ProofWalker walker(tree, start);
        for (uint64_t k = start; k < stop; ++k) {
            proofs.push_back(content::encode_proof(walker.next_proof()));
            total += proofs.back().size() + content::block_length(tree.content_length(), k);
        }
        content::BlockBuffer block;
        if (start < stop) {
            auto read = store.read_block(hash, start);
            if (!read) co_return co_await send_error(stream, request, status_for(read.error()), to_string(read.error()));
            block = *read;
        }
        http::response<http::empty_body> response{http::status::ok, request.version};
        response.content_length(total);
        response.set(http::field::etag, entity_tag(hash));
        response.set(http::field::cache_control, immutable);
        response.set(http::field::content_type, "application/vnd.fleek.verified-stream");
        response.set(kind_header, "file");
        response.keep_alive(request.keep_alive);
        if (!co_await send_header(stream, response)) co_return false;
        if (request.head) co_return request.keep_alive;

        const auto header = content::encode_stream_header({hash, tree.content_length(), start, stop});
        if (!co_await send_bytes(stream, buffers_of(net::buffer(header)))) co_return false;
        for (uint64_t k = start; k < stop; ++k) {
            if (!block) {
                auto read = store.read_block(hash, k);
                if (!read) {
                    FLEEK_LOG_ERROR("gateway", "aborting stream of {}: block {}: {}", hex_encode(hash), k, to_string(read.error()));
                    co_return false;
                }
                block = *read;
            }
            if (!co_await send_bytes(stream, buffers_of(net::buffer(proofs[k - start]), net::buffer(block->data(), block->size())))) co_return false;
            block.reset();
        }
        co_return request.keep_alive;
    }

    // ----------------------------------------------------------------------------- IPFS

    // Runs `work` on the fetch pool: the coroutine hops to a pool thread, runs it there, and hops
    // back to the connection's strand. (`work` is taken by reference: it lives in the caller's
    // suspended frame. GCC 12 destroys by-value captures of coroutine lambdas twice.)
    template <class Work>
    awaitable<std::invoke_result_t<Work&>> run_blocking(Work& work) {
        const auto home = co_await net::this_coro::executor;
        co_await net::post(net::bind_executor(fetch_pool.get_executor(), net::use_awaitable));
        auto result = work();
        co_await net::post(net::bind_executor(home, net::use_awaitable));
        co_return result;
    }

    awaitable<bool> serve_ipfs(beast::tcp_stream& stream, const RequestInfo& request, const Route& route,
                               const http::request<http::empty_body>& header) {
        if (options.ipfs_store == nullptr) {
            co_return co_await send_error(stream, request, http::status::not_found, "IPFS content is not served by this node");
        }
        if (fetches_on_miss(header)) {
            auto made_local = co_await fetch_ipfs_on_miss(route);
            if (!made_local) {
                co_return co_await send_error(stream, request, origin_status(made_local.error().code), made_local.error().message);
            }
        }
        const IpfsRequestHeaders request_headers{header[http::field::accept], header[http::field::if_none_match],
                                                 header[http::field::cache_control]};
        // Planning a CAR walks the DAG and reads blocks: that runs on the fetch pool. Files, raw
        // blocks and listings are planned here, as /blake3 requests are served.
        const bool car = route.query.find("format=car") != std::string::npos ||
                         request_headers.accept.find("application/vnd.ipld.car") != std::string_view::npos;
        origins::IpfsStore* ipfs_store = options.ipfs_store;
        auto work = [ipfs_store, &route, &request_headers] { return plan_ipfs_response(*ipfs_store, route, request_headers); };
        // (Not `car ? co_await ... : work()`: GCC 12 frees that temporary too early.)
        IpfsPlan plan;
        if (car) {
            plan = co_await run_blocking(work);
        } else {
            plan = work();
        }
        switch (plan.kind) {
            case IpfsPlan::Kind::text:
                co_return co_await send_text(stream, request, static_cast<http::status>(plan.status), std::move(plan.body),
                                             plan.content_type, std::move(plan.headers));
            case IpfsPlan::Kind::not_modified:
                co_return co_await send_text(stream, request, http::status::not_modified, "", "application/octet-stream",
                                             std::move(plan.headers));
            case IpfsPlan::Kind::file: {
                std::string etag;
                Headers extra;
                for (auto& [name, value] : plan.headers) {
                    if (name == "ETag") {
                        etag = value;
                    } else if (name != "Cache-Control") {
                        extra.emplace_back(name, value);
                    }
                }
                co_return co_await serve_file(stream, request, header, plan.file_hash, plan.content_type, etag,
                                              std::string(ipfs_cache_control), std::move(extra));
            }
            case IpfsPlan::Kind::car: co_return co_await serve_car(stream, request, plan);
        }
        co_return false;
    }

    // A CAR whose blocks were planned (and sized) beforehand: exact Content-Length, every block
    // read back and checked against its CID just before it is sent.
    awaitable<bool> serve_car(beast::tcp_stream& stream, const RequestInfo& request, const IpfsPlan& plan) {
        std::optional<Bytes> first;
        if (!plan.blocks.empty()) {
            auto block = options.ipfs_store->get(plan.blocks[0].cid);
            if (!block || !*block) {
                co_return co_await send_error(stream, request, http::status::not_found,
                                              fmt::format("block {} is not held by this node", plan.blocks[0].cid.to_string()));
            }
            first = std::move(**block);
        }
        http::response<http::empty_body> response{http::status::ok, request.version};
        response.content_length(plan.content_length);
        for (const auto& [name, value] : plan.headers) response.set(name, value);
        response.set(http::field::content_type, plan.content_type);
        response.keep_alive(request.keep_alive);
        if (!co_await send_header(stream, response)) co_return false;
        if (request.head) co_return request.keep_alive;
        if (!co_await send_bytes(stream, buffers_of(net::buffer(plan.car_header)))) co_return false;
        for (size_t i = 0; i < plan.blocks.size(); ++i) {
            const auto& planned = plan.blocks[i];
            std::optional<Bytes> bytes;
            if (i == 0) {
                bytes = std::move(first);
            } else {
                auto block = options.ipfs_store->get(planned.cid);
                if (block && *block) bytes = std::move(**block);
            }
            if (!bytes || bytes->size() != planned.size) {
                FLEEK_LOG_ERROR("gateway", "aborting CAR response: block {} is no longer available", planned.cid.to_string());
                co_return false;
            }
            const Bytes prefix = ipld::car_section_prefix(planned.cid, bytes->size());
            if (!co_await send_bytes(stream, buffers_of(net::buffer(prefix), net::buffer(*bytes)))) co_return false;
        }
        co_return request.keep_alive;
    }

    static http::status origin_status(origins::OriginErrorCode code) {
        switch (code) {
            case origins::OriginErrorCode::invalid_request: return http::status::bad_request;
            case origins::OriginErrorCode::disabled: return http::status::service_unavailable;
            case origins::OriginErrorCode::not_found: return http::status::not_found;
            case origins::OriginErrorCode::unavailable:
            case origins::OriginErrorCode::verification_failed: return http::status::bad_gateway;
            case origins::OriginErrorCode::too_large: return http::status::payload_too_large;
            case origins::OriginErrorCode::unsupported: return http::status::unprocessable_entity;
            case origins::OriginErrorCode::store_failed: return http::status::internal_server_error;
            case origins::OriginErrorCode::refused_address: return http::status::forbidden;
        }
        return http::status::internal_server_error;
    }

    static std::string_view kind_name(origins::ResolvedKind kind) {
        switch (kind) {
            case origins::ResolvedKind::file: return "file";
            case origins::ResolvedKind::directory: return "directory";
            case origins::ResolvedKind::symlink: return "symlink";
        }
        return "file";
    }

    awaitable<bool> fetch_ipfs(beast::tcp_stream& stream, const RequestInfo& request, const Route& route) {
        if (options.ipfs_origin == nullptr) {
            co_return co_await send_error(stream, request, http::status::service_unavailable, "this node has no IPFS origin");
        }
        auto cid = ipld::Cid::parse(route.cid);
        if (!cid) {
            co_return co_await send_error(stream, request, http::status::bad_request,
                                          fmt::format("`{}` is not a CID: {}", route.cid, ipld::to_string(cid.error())));
        }
        origins::IpfsOrigin* origin = options.ipfs_origin;
        const ipld::Cid& requested = *cid;
        auto work = [origin, &requested] { return origin->fetch(requested); };
        auto fetched = co_await run_blocking(work);
        if (!fetched) co_return co_await send_error(stream, request, origin_status(fetched.error().code), fetched.error().message);
        if (options.peer_content != nullptr) options.peer_content->resolved_ipfs(*fetched);
        nlohmann::json answer{{"cid", route.cid},
                              {"hash", hex_encode(fetched->record.hash)},
                              {"size", fetched->record.size},
                              {"kind", kind_name(fetched->record.kind)},
                              {"cached", fetched->cached}};
        if (!fetched->cached) answer["blocks"] = fetched->blocks;
        co_return co_await send_text(stream, request, fetched->cached ? http::status::ok : http::status::created, answer.dump(),
                                     "application/json");
    }

    awaitable<bool> fetch_http(beast::tcp_stream& stream, const RequestInfo& request, const Route& route) {
        if (options.http_origin == nullptr) {
            co_return co_await send_error(stream, request, http::status::service_unavailable, "this node has no HTTP origin");
        }
        origins::HttpOrigin* origin = options.http_origin;
        const std::string& url = route.url;
        auto work = [origin, &url] { return origin->fetch(url); };
        auto fetched = co_await run_blocking(work);
        if (!fetched) co_return co_await send_error(stream, request, origin_status(fetched.error().code), fetched.error().message);
        if (options.peer_content != nullptr) options.peer_content->resolved_http(route.url, *fetched);
        const nlohmann::json answer{{"url", route.url},
                                    {"hash", hex_encode(fetched->record.hash)},
                                    {"size", fetched->record.size},
                                    {"cached", fetched->cached}};
        co_return co_await send_text(stream, request, fetched->cached ? http::status::ok : http::status::created, answer.dump(),
                                     "application/json");
    }

    // ----------------------------------------------------------------------------- fetch on a miss
    // (docs/gateway.md, "Fetch on a miss"; the fetch itself runs on the node's content thread)

    bool fetches_on_miss(const http::request<http::empty_body>& header) const {
        // A client that wants only what is cached here gets it (RFC 9111 §5.2.1.7).
        return options.peer_content != nullptr && !only_if_cached(header[http::field::cache_control]);
    }

    static http::status miss_status(MissError error) {
        switch (error) {
            case MissError::not_found: return http::status::not_found;
            case MissError::timed_out: return http::status::gateway_timeout;
            case MissError::failed:
            case MissError::too_large: return http::status::bad_gateway;
        }
        return http::status::bad_gateway;
    }

    // Resumes when `job` has changed after `generation` (the content thread wakes us).
    awaitable<void> wait_for(const std::shared_ptr<FetchJob>& job, uint64_t generation) {
        const auto executor = co_await net::this_coro::executor;
        auto initiate = [job, generation, executor](auto handler) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            job->when_changed(generation, [shared, executor] { net::post(executor, [shared] { (*shared)(); }); });
        };
        co_await net::async_initiate<decltype(net::use_awaitable), void()>(initiate, net::use_awaitable);
    }

    // A /blake3 request for content the store does not hold: fetched from peers. A file is
    // streamed from its first verified block (a Range's blocks come first); a directory, a path
    // inside one and the verified stream are served once everything is stored.
    awaitable<bool> serve_miss(beast::tcp_stream& stream, const RequestInfo& request, const Route& route,
                               const http::request<http::empty_body>& header) {
        if (route.path.empty() && if_none_match(header[http::field::if_none_match], route.hash)) {
            co_return co_await send_text(stream, request, http::status::not_modified, "", "application/octet-stream",
                                         immutable_headers(route.hash));
        }
        const bool streams = route.path.empty() && route.format == ContentFormat::raw;
        const uint64_t first_block = streams ? range_first_byte(header[http::field::range]).value_or(0) / content::block_size : 0;
        auto job = options.peer_content->fetch_miss(route.hash, first_block);
        if (!job) co_return co_await send_error(stream, request, http::status::not_found, "content not found");
        std::optional<uint64_t> length;
        for (;;) {
            const FetchJob::State state = job->state();
            if (state.stored) break;
            if (state.error) {
                if (*state.error == MissError::not_found) options.peer_content->count(ServedFrom::not_found);
                co_return co_await send_error(stream, request, miss_status(*state.error),
                                              fmt::format("{}: {}", to_string(*state.error), state.message));
            }
            if (streams && state.content_length && !state.is_directory) {
                const uint64_t blocks = content::block_count(*state.content_length);
                if (job->has_block(std::min(first_block, blocks - 1))) {
                    length = state.content_length;
                    break;
                }
            }
            co_await wait_for(job, state.generation);
        }
        options.peer_content->count(ServedFrom::peer);
        if (!length) co_return co_await serve_content(stream, request, route, header, true);
        co_return co_await stream_fetched(stream, request, header, job, *length);
    }

    // A file as its fetch verifies it: the same headers and Range rules as serve_file, each block
    // sent once the fetch verified it. When the fetch fails after the header went out, the
    // connection is closed: the client sees fewer bytes than promised, never a wrong one.
    awaitable<bool> stream_fetched(beast::tcp_stream& stream, const RequestInfo& request, const http::request<http::empty_body>& header,
                                   const std::shared_ptr<FetchJob>& job, uint64_t length) {
        const std::string etag = entity_tag(job->hash());
        std::string_view if_range = header[http::field::if_range];
        RangeResult range = parse_range(header[http::field::range], length);
        if (!if_range.empty() && if_range != etag) range = RangeResult{};
        if (range.kind == RangeKind::unsatisfiable) {
            co_return co_await send_text(stream, request, http::status::range_not_satisfiable, json_error("range not satisfiable"),
                                         "application/json", one_header("Content-Range", fmt::format("bytes */{}", length)));
        }
        const bool partial = range.kind == RangeKind::satisfiable;
        const uint64_t first = partial ? range.range.first : 0;
        const uint64_t end = partial ? range.range.last + 1 : length;
        http::response<http::empty_body> response{partial ? http::status::partial_content : http::status::ok, request.version};
        response.content_length(end - first);
        response.set(http::field::etag, etag);
        response.set(http::field::cache_control, immutable);
        response.set(http::field::accept_ranges, "bytes");
        response.set(kind_header, "file");
        response.set(http::field::content_type, "application/octet-stream");
        if (partial) response.set(http::field::content_range, fmt::format("bytes {}-{}/{}", first, end - 1, length));
        response.keep_alive(request.keep_alive);
        if (!co_await send_header(stream, response)) co_return false;
        if (request.head || end == first) co_return request.keep_alive;
        uint64_t position = first;
        for (uint64_t k = first / content::block_size; position < end; ++k) {
            content::BlockBuffer block;
            for (;;) {
                const FetchJob::State state = job->state();
                auto held = job->block(k);
                if (!held) {
                    FLEEK_LOG_ERROR("gateway", "cutting the response for {}: block {}: {}", hex_encode(job->hash()), k, to_string(held.error()));
                    co_return false;
                }
                if (*held) {
                    block = std::move(**held);
                    break;
                }
                if (state.error) {
                    FLEEK_LOG_WARN("gateway", "cutting the response for {} at block {}: {}: {}", hex_encode(job->hash()), k,
                                   to_string(*state.error), state.message);
                    co_return false;
                }
                co_await wait_for(job, state.generation);
            }
            const uint64_t within = position - k * content::block_size;
            const uint64_t take = std::min<uint64_t>(block->size() - within, end - position);
            if (!co_await send_bytes(stream, buffers_of(net::buffer(block->data() + within, take)))) co_return false;
            position += take;
        }
        co_return request.keep_alive;
    }

    // An /ipfs request for a DAG the node does not hold: made local (peers, else the origin) on
    // the fetch pool before the request is planned. A CID that does not parse is left to the plan.
    awaitable<Result<void, origins::OriginError>> fetch_ipfs_on_miss(const Route& route) {
        auto cid = ipld::Cid::parse(route.cid);
        if (!cid || options.ipfs_store == nullptr || options.ipfs_store->has(*cid)) {
            if (cid && options.ipfs_store != nullptr) options.peer_content->count(ServedFrom::local);
            co_return Result<void, origins::OriginError>();
        }
        PeerContent* peer_content = options.peer_content;
        const ipld::Cid& wanted = *cid;
        auto work = [peer_content, &wanted] { return peer_content->fetch_ipfs_miss(wanted); };
        auto fetched = co_await run_blocking(work);
        if (!fetched && fetched.error().code == origins::OriginErrorCode::disabled) co_return Result<void, origins::OriginError>();
        co_return fetched;
    }

    // ----------------------------------------------------------------------------- PUT

    // Reads the request body in chunks and hands each to `consume`, which may refuse.
    template <class Consume>
    awaitable<std::optional<BlockstoreError>> read_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                                        http::request_parser<http::empty_body>& header_parser,
                                                        uint64_t limit, bool& connection_ok, Consume&& consume) {
        http::request_parser<http::buffer_body> parser{std::move(header_parser)};
        parser.body_limit(limit);
        std::vector<uint8_t> chunk(upload_chunk_size);
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            expire(stream);
            auto [error, bytes] = co_await http::async_read(stream, buffer, parser, with_error);
            if (error == http::error::need_buffer) error = {};
            if (error == http::error::body_limit) co_return BlockstoreError::too_large;
            if (error) {
                connection_ok = false;
                co_return BlockstoreError::io;
            }
            const size_t got = chunk.size() - parser.get().body().size;
            if (got > 0) {
                if (auto refused = consume(ByteSpan(chunk.data(), got))) co_return refused;
            }
        }
        co_return std::nullopt;
    }

    awaitable<bool> upload(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                           http::request_parser<http::empty_body>& parser, RequestInfo request, const Route& route,
                           const std::string& uploader) {
        const auto& header = parser.get();
        const uint64_t limit = route.kind == RouteKind::upload ? options.max_upload_bytes : options.max_directory_bytes;
        if (parser.content_length() && *parser.content_length() > limit) {
            request.keep_alive = false;
            co_return co_await send_error(stream, request, http::status::payload_too_large,
                                          fmt::format("uploads are limited to {} bytes", limit));
        }
        if (parser.content_length()) {
            // Over the uploader's quota already by its announced length: refused before the body.
            if (auto room = store.check_upload(uploader, *parser.content_length()); !room) {
                request.keep_alive = false;
                co_return co_await send_error(stream, request, status_for(room.error()), upload_refusal(room.error(), uploader));
            }
        }
        if (beast::iequals(header[http::field::expect], "100-continue")) {
            http::response<http::empty_body> go_on{http::status::continue_, request.version};
            expire(stream);
            auto [error, bytes] = co_await http::async_write(stream, go_on, with_error);
            if (error) co_return false;
        }
        bool connection_ok = true;
        if (route.kind == RouteKind::upload_directory) {
            Bytes body;
            auto refused = co_await read_body(stream, buffer, parser, limit, connection_ok, [&](ByteSpan data) {
                body.insert(body.end(), data.begin(), data.end());
                return std::optional<BlockstoreError>();
            });
            if (!connection_ok) co_return false;
            if (refused) {
                request.keep_alive = false;
                co_return co_await send_error(stream, request, status_for(*refused), to_string(*refused));
            }
            auto directory = content::Directory::decode(body);
            if (!directory) {
                co_return co_await send_error(stream, request, http::status::bad_request,
                                              fmt::format("invalid directory: {}", to_string(directory.error())));
            }
            auto stored = store.put_directory(*directory, uploader);
            if (!stored) co_return co_await send_error(stream, request, status_for(stored.error()), upload_refusal(stored.error(), uploader));
            co_return co_await send_text(stream, request, http::status::created,
                                         directory_answer(*stored, directory->entries().size()), "application/json");
        }
        auto writer = store.begin_write(uploader);
        if (!writer) {
            request.keep_alive = false;
            co_return co_await send_error(stream, request, status_for(writer.error()), to_string(writer.error()));
        }
        auto refused = co_await read_body(stream, buffer, parser, limit, connection_ok, [&](ByteSpan data) {
            auto written = (*writer)->write(data);
            return written ? std::optional<BlockstoreError>() : std::optional<BlockstoreError>(written.error());
        });
        if (!connection_ok) co_return false;  // the writer's destructor discards the partial upload
        if (refused) {
            request.keep_alive = false;
            co_return co_await send_error(stream, request, status_for(*refused), upload_refusal(*refused, uploader));
        }
        const uint64_t size = (*writer)->bytes_written();
        auto committed = (*writer)->commit(route.has_hash ? std::optional(route.hash) : std::nullopt);
        if (!committed) {
            const std::string message = committed.error() == BlockstoreError::hash_mismatch
                                            ? fmt::format("the uploaded content does not have the hash {}", hex_encode(route.hash))
                                            : upload_refusal(committed.error(), uploader);
            co_return co_await send_error(stream, request, status_for(committed.error()), message);
        }
        FLEEK_LOG_INFO("gateway", "stored {} ({} bytes, uploaded by {})", hex_encode(*committed), size, uploader);
        co_return co_await send_text(stream, request, http::status::created,
                                     stored_answer(*committed, size), "application/json");
    }

    // Why an upload was refused, with the numbers for quota refusals.
    std::string upload_refusal(BlockstoreError error, const std::string& uploader) {
        switch (error) {
            case BlockstoreError::quota_exceeded:
                return fmt::format("upload refused: the uploads of {} already hold {} bytes, and this one would take them over "
                                   "the quota per uploader (gateway.upload_quota_bytes)",
                                   uploader, store.uploader_bytes(uploader));
            case BlockstoreError::upload_space_full:
                return "upload refused: uploads together are at their cap (gateway.upload_capacity_bytes) and making room "
                       "would evict pinned or other content";
            default: return std::string(to_string(error));
        }
    }

    awaitable<bool> pin(beast::tcp_stream& stream, const RequestInfo& request, const Route& route) {
        const bool pinning = route.kind == RouteKind::pin;
        auto done = pinning ? store.pin(route.hash) : store.unpin(route.hash);
        if (!done) co_return co_await send_error(stream, request, status_for(done.error()), to_string(done.error()));
        FLEEK_LOG_INFO("gateway", "{} {}", pinning ? "pinned" : "unpinned", hex_encode(route.hash));
        const nlohmann::json answer{{"hash", hex_encode(route.hash)}, {"pinned", pinning}};
        co_return co_await send_text(stream, request, http::status::ok, answer.dump(), "application/json");
    }

    // ----------------------------------------------------------------------------- sessions

    awaitable<void> session(tcp::socket socket, std::string source) {
        beast::error_code endpoint_error;
        const auto remote = socket.remote_endpoint(endpoint_error);
        const std::string client_address = endpoint_error ? std::string() : remote.address().to_string();
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::empty_body> parser;
            parser.header_limit(16 * 1024);
            // Beast checks Content-Length against the body limit while reading the header; the
            // real limit is applied per route when the body is read.
            parser.body_limit(std::max(options.max_upload_bytes, options.max_directory_bytes));
            expire(stream);
            auto [error, bytes] = co_await http::async_read_header(stream, buffer, parser, with_error);
            if (error) break;  // closed, timed out or not HTTP
            const auto& header = parser.get();
            RequestInfo request{header.version(), header.keep_alive(), header.method() == http::verb::head};
            const Route route = route_request(method_of(header.method()), std::string_view(header.target().data(), header.target().size()));
            FLEEK_LOG_DEBUG("gateway", "{} {}", std::string(header.method_string()), std::string(header.target()));
            const bool has_body = parser.content_length().value_or(0) > 0 || parser.chunked();
            // Routes that cost the node disk or fetches: switched on in the config, and with an
            // operator token unless the node runs without (loopback development nodes).
            const bool uploads = route.kind == RouteKind::upload || route.kind == RouteKind::upload_directory;
            const bool fetches = route.kind == RouteKind::ipfs_fetch || route.kind == RouteKind::http_fetch;
            const bool pins = route.kind == RouteKind::pin || route.kind == RouteKind::unpin;
            Authorization authorization;
            if (uploads || fetches || pins) {
                const std::string_view header_value(header[http::field::authorization].data(), header[http::field::authorization].size());
                authorization = authorize(header_value, options.tokens);
                std::optional<Denial> denied;
                if (uploads && !options.upload_enabled) {
                    denied = Denial{http::status::forbidden, "uploads are disabled on this node (gateway.upload_enabled = false)"};
                } else if (fetches && !options.fetch_enabled) {
                    denied = Denial{http::status::forbidden, "origin fetches are disabled on this node (gateway.fetch_enabled = false)"};
                } else {
                    denied = denial_for(authorization, options.require_token);
                }
                if (denied) {
                    if (has_body) request.keep_alive = false;  // the body is not read
                    Headers challenge;
                    if (denied->status == http::status::unauthorized) challenge = one_header("WWW-Authenticate", "Bearer realm=\"fleek-node\"");
                    FLEEK_LOG_INFO("gateway", "refused {} {} from {}: {}", std::string(header.method_string()), std::string(header.target()),
                                   client_address, denied->message);
                    const bool kept = co_await send_text(stream, request, denied->status, json_error(denied->message), "application/json",
                                                         std::move(challenge));
                    if (!kept) break;
                    continue;
                }
            }
            if (route.kind == RouteKind::handshake) {
                // Refusals and their statuses: handshake_route.h.
                const auto upgrade = header[http::field::upgrade];
                if (auto refusal = refuse_handshake_request(options.handshake, std::string_view(upgrade.data(), upgrade.size()), has_body)) {
                    if (refusal->close) request.keep_alive = false;
                    Headers offer;
                    if (refusal->offer_upgrade) offer = one_header("Upgrade", "websocket");
                    if (!co_await send_text(stream, request, static_cast<http::status>(refusal->status), json_error(refusal->message),
                                            "application/json", std::move(offer))) {
                        break;
                    }
                    continue;
                }
                // The session server answers the upgrade (handshake_ws.cpp): it gets the socket and
                // the request as read, with any bytes read after it.
                std::ostringstream head;
                head << header.base();
                std::string raw = std::move(head).str();
                const auto pending = buffer.cdata();
                raw.append(static_cast<const char*>(pending.data()), pending.size());
                beast::error_code released_error;
                const int fd = stream.release_socket().release(released_error);
                connections.fetch_sub(1, std::memory_order_relaxed);
                by_source.release(source);  // the WebSocket server counts it from here on
                if (!released_error) options.handshake->adopt(fd, std::move(raw));
                co_return;
            }
            bool keep_going = false;
            switch (route.kind) {
                case RouteKind::handshake:  // answered above
                    break;
                case RouteKind::health:
                    keep_going = co_await send_text(stream, request, http::status::ok, "ok\n", "text/plain");
                    break;
                case RouteKind::content:
                    if (has_body) request.keep_alive = false;
                    keep_going = co_await serve_content(stream, request, route, header);
                    break;
                case RouteKind::upload:
                case RouteKind::upload_directory: {
                    const std::string uploader = authorization.outcome == AuthOutcome::authorized
                                                     ? authorization.identity
                                                     : anonymous_identity(client_address);
                    keep_going = co_await upload(stream, buffer, parser, request, route, uploader);
                    break;
                }
                case RouteKind::pin:
                case RouteKind::unpin:
                    if (has_body) request.keep_alive = false;
                    keep_going = co_await pin(stream, request, route);
                    break;
                case RouteKind::ipfs:
                    if (has_body) request.keep_alive = false;
                    keep_going = co_await serve_ipfs(stream, request, route, header);
                    break;
                case RouteKind::ipfs_fetch:
                    if (has_body) request.keep_alive = false;  // a body is not read
                    keep_going = co_await fetch_ipfs(stream, request, route);
                    break;
                case RouteKind::http_fetch:
                    if (has_body) request.keep_alive = false;
                    keep_going = co_await fetch_http(stream, request, route);
                    break;
                case RouteKind::not_found:
                    if (has_body) request.keep_alive = false;
                    keep_going = co_await send_error(stream, request, http::status::not_found, "no such route");
                    break;
                case RouteKind::bad_request:
                    if (has_body) request.keep_alive = false;
                    keep_going = co_await send_error(stream, request, http::status::bad_request, route.error);
                    break;
                case RouteKind::method_not_allowed:
                    request.keep_alive = request.keep_alive && !has_body;
                    keep_going = co_await send_text(stream, request, http::status::method_not_allowed,
                                                    json_error("method not allowed"), "application/json",
                                                    one_header("Allow", route.allow));
                    break;
            }
            if (!keep_going) break;
        }
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        connections.fetch_sub(1, std::memory_order_relaxed);
        by_source.release(source);
    }

    awaitable<void> accept_loop() {
        for (;;) {
            auto [error, socket] = co_await acceptor.async_accept(net::make_strand(ioc), with_error);
            if (error) {
                if (error == net::error::operation_aborted || stopped.load()) co_return;
                FLEEK_LOG_WARN("gateway", "accept failed: {}", error.message());
                continue;
            }
            if (connections.load(std::memory_order_relaxed) >= options.max_connections) {
                beast::error_code ignored;
                socket.close(ignored);
                continue;
            }
            // One source must not hold every connection (slowloris): over its share, the
            // connection is closed unread.
            beast::error_code endpoint_error;
            const auto remote = socket.remote_endpoint(endpoint_error);
            std::string source = endpoint_error ? std::string("?") : fleek::net::source_budget_key(remote.address());
            if (!by_source.try_acquire(source)) {
                refused_per_source.fetch_add(1, std::memory_order_relaxed);
                beast::error_code ignored;
                socket.close(ignored);
                continue;
            }
            connections.fetch_add(1, std::memory_order_relaxed);
            socket.set_option(tcp::no_delay(true));
            auto executor = socket.get_executor();
            net::co_spawn(executor, session(std::move(socket), std::move(source)), net::detached);
        }
    }
};

Result<std::unique_ptr<HttpGateway>, std::string> HttpGateway::start(const GatewayOptions& options, content::Blockstore& store) {
    auto impl = std::make_unique<Impl>(options, store);
    beast::error_code error;
    const auto address = net::ip::make_address(options.host, error);
    if (error) return fail(fmt::format("gateway: `{}` is not an IP address", options.host));
    const tcp::endpoint endpoint(address, options.port);
    const std::string where = fmt::format("{}:{}", options.host, options.port);
    impl->acceptor.open(endpoint.protocol(), error);
    if (!error) impl->acceptor.set_option(net::socket_base::reuse_address(true), error);
    if (!error) impl->acceptor.bind(endpoint, error);
    if (!error) impl->acceptor.listen(net::socket_base::max_listen_connections, error);
    if (error) return fail(fmt::format("gateway: cannot listen on {}: {}", where, error.message()));

    net::co_spawn(impl->ioc, impl->accept_loop(), net::detached);
    const unsigned threads = std::max(1u, options.threads);
    for (unsigned i = 0; i < threads; ++i) {
        impl->threads.emplace_back([context = &impl->ioc] {
            // sendfile to a socket the client reset raises SIGPIPE, which would end the process:
            // blocked on these threads, it stays pending and the call returns EPIPE.
            sigset_t pipe_signal;
            sigemptyset(&pipe_signal);
            sigaddset(&pipe_signal, SIGPIPE);
            pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
            context->run();
        });
    }
    return std::unique_ptr<HttpGateway>(new HttpGateway(std::move(impl)));
}

HttpGateway::HttpGateway(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

HttpGateway::~HttpGateway() { stop(); }

uint64_t HttpGateway::refused_per_source() const { return m_impl->refused_per_source.load(std::memory_order_relaxed); }

uint16_t HttpGateway::port() const {
    beast::error_code error;
    const auto endpoint = m_impl->acceptor.local_endpoint(error);
    return error ? 0 : endpoint.port();
}

void HttpGateway::stop() {
    if (m_impl->stopped.exchange(true)) return;
    net::post(m_impl->ioc, [impl = m_impl.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
    });
    m_impl->ioc.stop();
    for (auto& thread : m_impl->threads) thread.join();
    m_impl->threads.clear();
    // Running fetches end by themselves (their origin was cancelled first by the node, or their
    // timeouts expire); their answers go nowhere since the I/O threads are gone.
    m_impl->fetch_pool.join();
}

}  // namespace fleek::edge
