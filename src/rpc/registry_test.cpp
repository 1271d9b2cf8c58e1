// The registry's documents (OpenRPC, markdown, --help text), the schema checker, the server's
// counters, and the committed docs generated from the registry (docs/rpc/openrpc.json and the
// method reference in docs/rpc.md), which must equal what the code produces.
//
// To regenerate the committed docs after changing a method declaration:
//   FLEEK_UPDATE_DOCS=1 ./build/debug/src/rpc/rpc_test --gtest_filter='*CommittedDocs*'
#include "rpc/registry.h"

#include "rpc/schema.h"
#include "rpc/server_metrics.h"
#include "tests/support/files.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

namespace fleek::rpc {
namespace {

TEST(Registry, OpenRpcListsEveryMethod) {
    const Registry registry = standard_registry();
    const Json document = registry.openrpc();
    EXPECT_EQ(document["openrpc"], "1.2.6");
    ASSERT_EQ(document["methods"].size(), registry.methods().size());
    std::set<std::string> names;
    for (const Json& method : document["methods"]) {
        const std::string name = method["name"].get<std::string>();
        EXPECT_TRUE(names.insert(name).second) << name << " twice";
        const MethodSpec* spec = registry.find(name);
        ASSERT_NE(spec, nullptr) << name;
        EXPECT_FALSE(method["summary"].get<std::string>().empty());
        EXPECT_EQ(method["params"].size(), spec->params.size());
        EXPECT_TRUE(method["result"].contains("schema"));
        for (const Json& error : method["errors"]) EXPECT_TRUE(error["code"].is_number_integer());
    }
    // The methods of the issue are all there.
    for (const char* name : {"flk_get_flk_balance", "flk_get_account_info", "flk_get_node_info", "flk_get_staked",
                             "flk_get_committee_members", "flk_get_epoch", "flk_get_epoch_info", "flk_get_protocol_params",
                             "flk_get_reputation", "flk_get_node_served", "flk_get_state_root", "flk_get_state_proof",
                             "flk_send_txn", "flk_ping", "flk_health", "flk_get_node_registry", "flk_get_block",
                             "flk_get_block_certificate", "flk_get_transaction_receipt", "rpc.discover"}) {
        EXPECT_TRUE(names.contains(name)) << name;
    }
    // Every $ref in the document names a schema of the document.
    const Json& schemas = document["components"]["schemas"];
    std::function<void(const Json&)> visit = [&](const Json& node) {
        if (node.is_object()) {
            if (const auto ref = node.find("$ref"); ref != node.end()) {
                const std::string target = ref->get<std::string>();
                const std::string prefix = "#/components/schemas/";
                ASSERT_EQ(target.rfind(prefix, 0), 0u) << target;
                EXPECT_TRUE(schemas.contains(target.substr(prefix.size()))) << target;
            }
            for (const auto& [key, value] : node.items()) visit(value);
        } else if (node.is_array()) {
            for (const auto& value : node) visit(value);
        }
    };
    visit(document);
    // Every error code is described.
    EXPECT_EQ(document["components"]["errors"].size(), all_error_codes().size());
}

TEST(Registry, ExamplesMatchTheirSchemas) {
    const Registry registry = standard_registry();
    for (const auto& method : registry.methods()) {
        for (const auto& example : method.examples) {
            const auto mismatch = check_schema(example.result, method.result.schema, registry);
            EXPECT_FALSE(mismatch.has_value()) << method.name << " example " << example.name << ": " << *mismatch;
            for (const auto& [name, value] : example.params) {
                const ParamSpec* spec = method.param(name);
                ASSERT_NE(spec, nullptr) << method.name << " example names an undeclared param " << name;
                EXPECT_TRUE(parse_param(*spec, value).has_value()) << method.name << "." << name;
            }
        }
    }
}

TEST(Registry, SchemaCheckerRejectsWhatDoesNotMatch) {
    const Registry registry = standard_registry();
    const Json address{{"$ref", "#/components/schemas/Address"}};
    EXPECT_FALSE(check_schema("0x" + std::string(40, 'a'), address, registry).has_value());
    EXPECT_TRUE(check_schema("0x" + std::string(39, 'a'), address, registry).has_value());
    EXPECT_TRUE(check_schema(5, address, registry).has_value());
    const Json amount{{"$ref", "#/components/schemas/Amount"}};
    EXPECT_FALSE(check_schema("0", amount, registry).has_value());
    EXPECT_TRUE(check_schema("01", amount, registry).has_value());
    EXPECT_TRUE(check_schema(1, amount, registry).has_value());
    const Json nullable_u64{{"oneOf", Json::array({Json{{"$ref", "#/components/schemas/U64"}}, Json{{"type", "null"}}})}};
    EXPECT_FALSE(check_schema(nullptr, nullable_u64, registry).has_value());
    EXPECT_FALSE(check_schema(3, nullable_u64, registry).has_value());
    EXPECT_TRUE(check_schema(-3, nullable_u64, registry).has_value());
    EXPECT_TRUE(check_schema("3", nullable_u64, registry).has_value());
    const Json closed{{"type", "object"},
                      {"properties", {{"a", {{"type", "integer"}}}}},
                      {"required", Json::array({"a"})},
                      {"additionalProperties", false}};
    EXPECT_FALSE(check_schema(Json{{"a", 1}}, closed, registry).has_value());
    EXPECT_NE(check_schema(Json{{"a", 1}, {"b", 2}}, closed, registry).value_or("").find("unexpected property `b`"),
              std::string::npos);
    EXPECT_NE(check_schema(Json::object(), closed, registry).value_or("").find("missing property `a`"), std::string::npos);
    EXPECT_NE(check_schema(Json{{"a", "x"}}, closed, registry).value_or("").find("$.a"), std::string::npos);
    const Json list{{"type", "array"}, {"items", {{"type", "boolean"}}}};
    EXPECT_NE(check_schema(Json::array({true, 1}), list, registry).value_or("").find("$[1]"), std::string::npos);
    EXPECT_TRUE(check_schema(1, Json{{"$ref", "#/components/schemas/Nope"}}, registry).has_value());
}

TEST(Registry, MarkdownAndHelpText) {
    const Registry registry = standard_registry();
    const std::string markdown = registry.markdown();
    for (const auto& method : registry.methods()) {
        EXPECT_NE(markdown.find("### " + method.name + "\n"), std::string::npos) << method.name;
    }
    // Every table row has as many cells as its header (an unescaped `|` would add one).
    size_t columns = 0;
    size_t line_start = 0;
    while (line_start < markdown.size()) {
        const size_t line_end = markdown.find('\n', line_start);
        const std::string line = markdown.substr(line_start, line_end - line_start);
        line_start = line_end == std::string::npos ? markdown.size() : line_end + 1;
        if (line.empty() || line[0] != '|') {
            columns = 0;
            continue;
        }
        size_t cells = 0;
        for (size_t i = 0; i < line.size(); ++i) cells += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
        if (columns == 0) columns = cells;
        EXPECT_EQ(cells, columns) << line;
    }
    const std::string help = registry.help_text({"flk_get_flk_balance", "flk_send_txn"});
    EXPECT_NE(help.find("flk_get_flk_balance(address, epoch?) -> Amount"), std::string::npos) << help;
    EXPECT_NE(help.find("flk_send_txn(transaction) -> Hash"), std::string::npos) << help;
    EXPECT_NE(registry.param_description("flk_get_flk_balance", "address").find("EIP-55"), std::string::npos);
}

TEST(Registry, ParseParamTypes) {
    const ParamSpec u64{"n", ParamType::u64, true, "n", {}};
    EXPECT_EQ(std::get<uint64_t>(parse_param(u64, Json(18446744073709551615ull)).value()), UINT64_MAX);
    EXPECT_EQ(std::get<uint64_t>(parse_param(u64, Json("18446744073709551615")).value()), UINT64_MAX);
    EXPECT_EQ(std::get<uint64_t>(parse_param(u64, Json("0")).value()), 0u);
    EXPECT_FALSE(parse_param(u64, Json("")).has_value());
    EXPECT_FALSE(parse_param(u64, Json("+1")).has_value());
    EXPECT_FALSE(parse_param(u64, Json(" 1")).has_value());
    EXPECT_FALSE(parse_param(u64, Json(true)).has_value());
    const ParamSpec hash{"h", ParamType::hash, true, "h", {}};
    EXPECT_TRUE(parse_param(hash, Json(std::string(64, 'F'))).has_value());
    EXPECT_TRUE(parse_param(hash, Json("0x" + std::string(64, 'f'))).has_value());
    EXPECT_FALSE(parse_param(hash, Json(std::string(62, 'f'))).has_value());
    EXPECT_FALSE(parse_param(hash, Json(std::string(66, 'f'))).has_value());
}

TEST(ServerMetrics, CountsCallsErrorsAndResponses) {
    const Registry registry = standard_registry();
    ServerMetrics metrics(registry);
    metrics.on_call(registry.find("flk_ping"), 0);
    metrics.on_call(registry.find("flk_ping"), 0);
    metrics.on_call(registry.find("flk_get_block"), -32602);
    metrics.on_call(nullptr, -32601);
    metrics.on_call(nullptr, -32700);
    metrics.on_response(HttpRoute::rpc, 200);
    metrics.on_response(HttpRoute::other, 404);
    EXPECT_EQ(metrics.calls("flk_ping"), 2u);
    EXPECT_EQ(metrics.errors("flk_ping"), 0u);
    EXPECT_EQ(metrics.errors("flk_get_block"), 1u);
    EXPECT_EQ(metrics.calls(""), 2u);
    EXPECT_EQ(metrics.errors_with_code(ErrorCode::invalid_params), 1u);
    EXPECT_EQ(metrics.errors_with_code(ErrorCode::method_not_found), 1u);
    EXPECT_EQ(metrics.errors_with_code(ErrorCode::parse_error), 1u);
    const std::string text = metrics.prometheus_text();
    EXPECT_NE(text.find("fleek_rpc_calls_total{method=\"flk_ping\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("fleek_rpc_errors_total{code=\"-32602\",name=\"invalid_params\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("fleek_rpc_http_responses_total{route=\"other\",status=\"4xx\"} 1\n"), std::string::npos);
}

// ---- committed docs --------------------------------------------------------------------------

constexpr std::string_view generated_begin = "<!-- BEGIN GENERATED: Registry::markdown() -->\n";
constexpr std::string_view generated_end = "<!-- END GENERATED -->\n";

TEST(Registry, CommittedDocsMatchTheRegistry) {
    const Registry registry = standard_registry();
    const bool update = std::getenv("FLEEK_UPDATE_DOCS") != nullptr;
    const auto openrpc_path = testing::source_path("docs/rpc/openrpc.json");
    const std::string openrpc = registry.openrpc().dump(2) + "\n";
    if (update) testing::write_text(openrpc_path, openrpc);
    EXPECT_EQ(testing::read_text(openrpc_path), openrpc)
        << "docs/rpc/openrpc.json is stale: regenerate it (see the top of src/rpc/registry_test.cpp)";

    const auto markdown_path = testing::source_path("docs/rpc.md");
    std::string doc = testing::read_text(markdown_path);
    const size_t begin = doc.find(generated_begin);
    const size_t end = doc.find(generated_end);
    ASSERT_NE(begin, std::string::npos) << "docs/rpc.md lacks the generated-section markers";
    ASSERT_NE(end, std::string::npos);
    ASSERT_LT(begin, end);
    const std::string generated = registry.markdown();
    const size_t body = begin + generated_begin.size();
    if (update) {
        doc.replace(body, end - body, generated);
        testing::write_text(markdown_path, doc);
    } else {
        EXPECT_EQ(doc.substr(body, end - body), generated)
            << "docs/rpc.md's method reference is stale: regenerate it (see the top of src/rpc/registry_test.cpp)";
    }
}

}  // namespace
}  // namespace fleek::rpc
