#include "apps/flk/cost_command.h"

#include "apps/common/cli.h"
#include "apps/flk/amount.h"
#include "apps/flk/http.h"
#include "apps/flk/rpc_client.h"
#include "rpc/registry.h"
#include "util/encoding.h"
#include "util/u256.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>

namespace fleek::flk {

namespace {

using Json = nlohmann::json;

bool all_of(const std::string& text, bool (*accept)(char)) {
    if (text.empty()) return false;
    for (const char c : text) {
        if (!accept(c)) return false;
    }
    return true;
}

// The byte count the argument names: a decimal number, or the length of the content of a BLAKE3
// hash as the node's gateway reports it (HEAD /blake3/<hash>, docs/gateway.md).
Result<uint64_t, std::string> bytes_of(const std::string& what, const ContentOptions& content) {
    if (all_of(what, [](char c) { return c >= '0' && c <= '9'; })) {
        uint64_t bytes = 0;
        const auto [end, error] = std::from_chars(what.data(), what.data() + what.size(), bytes);
        if (error != std::errc() || end != what.data() + what.size()) {
            return fail(fmt::format("`{}` bytes: more than 2^64 - 1", what));
        }
        return bytes;
    }
    if (what.size() != 64 || !hex_decode_array<32>(what)) {
        return fail(fmt::format("`{}` is neither a number of bytes nor a BLAKE3 hash (64 hex digits)", what));
    }
    std::string url = content.node_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    HttpClient client(HttpClientOptions{.stall_timeout_s = content.stall_timeout_s, .bearer_token = {}});
    const HttpResponse head = client.head(fmt::format("{}/blake3/{}", url, what));
    if (!head.ok()) return fail(fmt::format("{}: {}", what, head.describe()));
    const auto kind = head.headers.find("x-fleek-kind");
    if (kind != head.headers.end() && kind->second == "directory") {
        return fail(fmt::format("{} is a directory: give the hash of a file in it (flk ls {})", what, what));
    }
    const auto length = head.headers.find("content-length");
    if (length == head.headers.end()) return fail(fmt::format("{}: the gateway at {} gave no Content-Length", what, url));
    const std::string& text = length->second;
    uint64_t bytes = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return fail(fmt::format("{}: the gateway at {} gave an invalid Content-Length `{}`", what, url, text));
    }
    return bytes;
}

int run_cost(const CostCommand& cost, const std::string& rpc_url, const ContentOptions& content) {
    auto bytes = bytes_of(cost.what, content);
    if (!bytes) return cli::report_error(bytes.error());
    RpcClient client(rpc_url);
    auto service = fetch_service_price(client, cost.service_id);
    if (!service) return cli::report_error(service.error());
    const U256* price = &service->price_per_million_units;
    const auto due = delivery_cost(*bytes, *price);
    if (!due) return cli::report_error("the cost does not fit 256 bits");
    const std::string units = u256_to_decimal(*due);
    const std::string stables = format_amount(units, 6);
    const std::string& commodity = service->commodity;
    if (cost.json_output) {
        std::printf("%s\n", Json{{"bytes", *bytes},
                                 {"service_id", cost.service_id},
                                 {"commodity", commodity},
                                 {"price_per_million_units", u256_to_decimal(*price)},
                                 {"cost", units},
                                 {"cost_stables", stables}}
                                .dump()
                                .c_str());
        return cli::exit_ok;
    }
    std::printf("bytes: %llu\nservice: %llu (%s, %s stables base units per 10^6 units)\ncost: %s stables (%s base units)\n",
                static_cast<unsigned long long>(*bytes), static_cast<unsigned long long>(cost.service_id), commodity.c_str(),
                u256_to_decimal(*price).c_str(), stables.c_str(), units.c_str());
    return cli::exit_ok;
}

}  // namespace

std::optional<U256> delivery_cost(uint64_t units, const U256& price_per_million_units) {
    return checked_mul_div(U256(units), price_per_million_units, U256(1'000'000));
}

Result<ServicePrice, std::string> fetch_service_price(RpcClient& client, uint64_t service_id) {
    auto service = client.call("flk_get_service", Json::array({service_id}));
    if (!service) return fail(service.error());
    const bool complete = service->is_object() && (*service)["price_per_million_units"].is_string() && (*service)["commodity"].is_string();
    if (!complete) return fail(fmt::format("the node answered flk_get_service({}) without a price and commodity", service_id));
    auto price = u256_parse_decimal((*service)["price_per_million_units"].get<std::string>());
    if (!price) return fail(std::string("the node answered flk_get_service with a price that is not a decimal amount"));
    return ServicePrice{*price, (*service)["commodity"].get<std::string>()};
}

std::shared_ptr<CostCommand> add_cost_command(CLI::App& app) {
    auto cost = std::make_shared<CostCommand>();
    const rpc::Registry registry = rpc::standard_registry();
    cost->command = app.add_subcommand(
        "cost", "What delivering BYTES (or a hash's content) costs a client: ⌊bytes × price / 10^6⌋ stables base units");
    cost->command->footer("\nA HASH's length comes from the gateway (HEAD /blake3/<hash> on --node).\n\n" +
                          registry.help_text({"flk_get_service"}));
    cost->command->add_option("what", cost->what, "BYTES (a decimal number) or a BLAKE3 hash (64 hex digits)")->required();
    cost->command->add_option("--service", cost->service_id, registry.param_description("flk_get_service", "service_id"))
        ->default_str("0");
    cost->command->add_flag("--json", cost->json_output, "Print JSON");
    return cost;
}

std::optional<int> run_cost_command(const CostCommand& cost, const std::string& rpc_url, const ContentOptions& content) {
    if (!*cost.command) return std::nullopt;
    return run_cost(cost, rpc_url, content);
}

}  // namespace fleek::flk
