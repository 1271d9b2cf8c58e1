#include "apps/flk/paid_get.h"

#include "apps/common/cli.h"
#include "apps/flk/amount.h"
#include "apps/flk/cost_command.h"
#include "apps/flk/http.h"
#include "apps/flk/progress.h"
#include "apps/flk/rpc_client.h"
#include "crypto/key_file.h"
#include "crypto/random.h"
#include "edge/handshake_socket_client.h"
#include "util/encoding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fleek::flk {

namespace fs = std::filesystem;
namespace hs = edge::handshake;
using Json = nlohmann::json;

Result<HostPort, std::string> parse_host_port(const std::string& text) {
    const auto bad = [&text] { return fmt::format("--handshake `{}` is not HOST:PORT (e.g. 127.0.0.1:4221 or [::1]:4221)", text); };
    std::string host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return fail(bad());
        host = text.substr(1, close - 1);
        port_text = std::string_view(text).substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon) return fail(bad());
        host = text.substr(0, colon);
        port_text = std::string_view(text).substr(colon + 1);
    }
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (host.empty() || port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
        return fail(bad());
    }
    return HostPort{std::move(host), static_cast<uint16_t>(port)};
}

Result<std::string, std::string> url_host(const std::string& url) {
    std::string_view rest(url);
    if (const size_t scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    std::string_view host = rest;
    if (!rest.empty() && rest.front() == '[') {
        const size_t close = rest.find(']');
        if (close == std::string_view::npos) return fail(fmt::format("--node `{}` has no valid host", url));
        host = rest.substr(1, close - 1);
    } else if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
    }
    if (host.empty()) return fail(fmt::format("--node `{}` has no host", url));
    return std::string(host);
}

namespace {

struct NodeFacts {
    crypto::NodePublicKey key;
    uint64_t chain_id = 0;
    ServicePrice price;
};

// The node's key, the chain and the service price, from the node's JSON-RPC API.
Result<NodeFacts, std::string> node_facts(RpcClient& rpc, uint64_t service_id) {
    auto keys = rpc.call("flk_get_public_keys", Json::array());
    if (!keys) return fail(keys.error());
    if (!keys->is_object() || !(*keys)["public_key"].is_string()) return fail(std::string("flk_get_public_keys: the answer has no public_key"));
    auto key = crypto::NodePublicKey::from_base58((*keys)["public_key"].get<std::string>());
    if (!key) return fail(std::string("flk_get_public_keys: the node's public_key is not a valid Ed25519 key"));
    auto chain = rpc.call("flk_get_chain_info", Json::array());
    if (!chain) return fail(chain.error());
    if (!chain->is_object() || !(*chain)["chain_id"].is_number_unsigned()) return fail(std::string("flk_get_chain_info: the answer has no chain_id"));
    auto price = fetch_service_price(rpc, service_id);
    if (!price) return fail(price.error());
    return NodeFacts{*key, (*chain)["chain_id"].get<uint64_t>(), std::move(*price)};
}

// The host of --node and the handshake port the node registered on chain.
Result<HostPort, std::string> registered_handshake_address(RpcClient& rpc, const crypto::NodePublicKey& node,
                                                           const ContentOptions& content) {
    auto host = url_host(content.node_url);
    if (!host) return fail(host.error());
    auto info = rpc.call("flk_get_node_info", Json::array({node.to_string()}));
    if (!info) return fail(fmt::format("cannot find the node's handshake port ({}); give --handshake HOST:PORT", info.error()));
    if (info->is_null()) {
        return fail(fmt::format("the node behind --rpc ({}) is not registered on chain, so its handshake port is unknown; "
                                "give --handshake HOST:PORT",
                                node.to_string()));
    }
    const Json port = info->is_object() && (*info)["ports"].is_object() ? (*info)["ports"]["handshake_tcp"] : Json();
    if (!port.is_number_unsigned() || port.get<uint64_t>() == 0 || port.get<uint64_t>() > 65535) {
        return fail(std::string("flk_get_node_info names no handshake_tcp port for the node; give --handshake HOST:PORT"));
    }
    return HostPort{std::move(*host), static_cast<uint16_t>(port.get<uint64_t>())};
}

std::string cost_text(uint64_t bytes, const ServicePrice& price) {
    const auto due = delivery_cost(bytes, price.price_per_million_units);
    if (!due) return "more than 2^256 stables base units";
    const std::string units = u256_to_decimal(*due);
    return fmt::format("{} stables ({} base units)", format_amount(units, 6), units);
}

// A file created next to `output` (so the rename stays on one file system), removed unless
// released after it was moved into place.
class TemporaryFile {
public:
    explicit TemporaryFile(const fs::path& output) : m_path(output.string() + ".paid-XXXXXX") {
        std::string name = m_path.string();
        m_fd = ::mkostemp(name.data(), O_CLOEXEC);
        m_path = name;
        if (m_fd >= 0) {
            const mode_t mask = ::umask(0);
            ::umask(mask);
            ::fchmod(m_fd, 0666 & ~mask);  // as a file created by open(): the umask decides
        }
    }
    ~TemporaryFile() {
        if (m_fd >= 0) ::close(m_fd);
        if (!m_released) ::unlink(m_path.c_str());
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    int fd() const { return m_fd; }
    const fs::path& path() const { return m_path; }
    void release() { m_released = true; }

private:
    fs::path m_path;
    int m_fd = -1;
    bool m_released = false;
};

// After a refusal `not_found`: a directory's hash names no file, which paid sessions serve only.
bool is_directory_on_gateway(const std::string& hash_text, const ContentOptions& content) {
    std::string url = content.node_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    HttpClient client(HttpClientOptions{.stall_timeout_s = content.stall_timeout_s, .bearer_token = {}});
    const HttpResponse head = client.head(fmt::format("{}/blake3/{}", url, hash_text));
    const auto kind = head.headers.find("x-fleek-kind");
    return head.ok() && kind != head.headers.end() && kind->second == "directory";
}

}  // namespace

int command_paid_get(const std::string& hash_text, const std::optional<std::string>& output, const ContentOptions& content,
                     const PaidGetOptions& paid) {
    auto hash = hex_decode_array<32>(hash_text);
    if (!hash || hash_text.size() != 64) return cli::report_error(fmt::format("`{}` is not a BLAKE3 hash (64 hex digits)", hash_text));
    std::optional<HostPort> given_address;
    if (paid.handshake) {
        auto parsed = parse_host_port(*paid.handshake);
        if (!parsed) return cli::report_error(parsed.error());
        given_address = std::move(*parsed);
    }
    auto key = crypto::load_client_key(paid.client_key_file);
    if (!key) return cli::report_error(fmt::format("--client-key: {}", key.error().message));
    const fs::path target = output.value_or(hash_text);
    if (!content.force && exists_no_follow(target)) {
        return cli::report_error(fmt::format("{} already exists (use --force to replace it)", target.string()));
    }
    RpcClient rpc(paid.rpc_url);
    auto facts = node_facts(rpc, paid.service_id);
    if (!facts) return cli::report_error(facts.error());
    auto address = given_address ? Result<HostPort, std::string>(*given_address) : registered_handshake_address(rpc, facts->key, content);
    if (!address) return cli::report_error(address.error());

    TemporaryFile file(target);
    if (file.fd() < 0) return cli::report_error(fmt::format("cannot write next to {}: {}", target.string(), std::strerror(errno)));
    ledger::SessionId session_id{};
    crypto::random_bytes(session_id);
    hs::HandshakeClient client(std::move(*key), hs::ClientOptions{.node = facts->key,
                                                                  .chain_id = facts->chain_id,
                                                                  .session_id = session_id,
                                                                  .service = paid.service_id,
                                                                  .resume_token = std::nullopt,
                                                                  .acknowledged_bytes = 0});
    ProgressBar bar("get (paid) " + target.filename().string());
    int write_errno = 0;
    uint64_t written = 0;
    const auto write_block = [&](uint64_t, ByteSpan block) {
        size_t done = 0;
        while (done < block.size()) {
            const ssize_t put = ::write(file.fd(), block.data() + done, block.size() - done);
            if (put < 0 && errno == EINTR) continue;
            if (put <= 0) {
                write_errno = put < 0 ? errno : EIO;
                return false;
            }
            done += static_cast<size_t>(put);
        }
        written += block.size();
        bar.update(written, client.streaming_content_length().value_or(0));
        return true;
    };
    // 0 means "wait forever" for plain downloads; here too, bounded by the int poll takes.
    const uint64_t stall_ms = content.stall_timeout_s == 0 ? uint64_t{1} << 30 : uint64_t{content.stall_timeout_s} * 1000;
    const hs::SocketClientOptions socket_options{
        .host = address->host, .port = address->port, .connect_timeout_ms = 10'000, .stall_timeout_ms = stall_ms};
    auto fetched = hs::fetch_over_socket(socket_options, client, *hash, std::nullopt, write_block);
    bar.finish();
    const std::string where = address->host.find(':') == std::string::npos ? fmt::format("{}:{}", address->host, address->port)
                                                                            : fmt::format("[{}]:{}", address->host, address->port);
    if (!fetched) {
        const hs::SocketFailure& failure = fetched.error();
        if (write_errno != 0) return cli::report_error(fmt::format("cannot write {}: {}", file.path().string(), std::strerror(write_errno)));
        std::string message = fmt::format("paid fetch of {} from {} failed: {}", hash_text, where, failure.describe());
        if (failure.refusal == hs::ContentRefusal::not_found && is_directory_on_gateway(hash_text, content)) {
            message = fmt::format("{} is a directory: paid sessions fetch single files for now; list it with `flk ls {}` and "
                                  "fetch its files by hash",
                                  hash_text, hash_text);
        }
        if (client.signed_bytes() > 0) {
            message += fmt::format("; receipts were signed for {} bytes ({}); nothing was written", client.signed_bytes(),
                                   cost_text(client.signed_bytes(), facts->price));
        } else {
            message += "; nothing was written or signed for";
        }
        return cli::report_error(message);
    }
    if (::fsync(file.fd()) != 0) return cli::report_error(fmt::format("cannot write {}: {}", file.path().string(), std::strerror(errno)));
    if (auto moved = move_into_place(file.path(), target, content.force); !moved) return cli::report_error(moved.error());
    file.release();
    std::fprintf(stderr,
                 "%s verified and written to %s: %llu bytes over a paid session with %s; receipts signed for %llu bytes; "
                 "cost at service %llu's price: %s\n",
                 hash_text.c_str(), target.c_str(), static_cast<unsigned long long>(written), where.c_str(),
                 static_cast<unsigned long long>(client.signed_bytes()), static_cast<unsigned long long>(paid.service_id),
                 cost_text(client.signed_bytes(), facts->price).c_str());
    return cli::exit_ok;
}

}  // namespace fleek::flk
