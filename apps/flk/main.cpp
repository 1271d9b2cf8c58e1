// flk: the client binary (brief §8). Commands available so far:
//   hash PATH...              BLAKE3 of files (= b3sum) and directories
//   put PATH                  store a file or directory in a node (--node URL)
//   get HASH [-o OUT] [--force] [--unsafe-links]
//                             download and verify every block before writing it; resumes
//   get HASH --client-key FILE [--handshake HOST:PORT] [-o OUT] [--force]
//                             the same over a paid session, signing receipts (paid_get.h)
//   ls HASH                   list a directory
//   cid PATH                  the IPFS CID of a file or directory (kubo's defaults, or ipfs-car's)
//   car pack PATH -o FILE.car | car unpack FILE.car [-o OUT] | car ls FILE.car
//   keys generate --account|--client [--out FILE] [--force]
//   keys import --account|--client [--from FILE] [--out FILE] [--force]   (hex secret, stdin)
//   keys show [FILE]
//   keys inspect KEY          what a base58 public key or 0x address is, and whether it is valid
#include "apps/common/cli.h"
#include "apps/flk/content_commands.h"
#include "apps/flk/cost_command.h"
#include "apps/flk/ipfs_commands.h"
#include "apps/flk/ledger_commands.h"
#include "apps/flk/paid_get.h"
#include "crypto/key_file.h"
#include "util/encoding.h"
#include "util/file.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <variant>

namespace fleek {
namespace {

struct GenerateOptions {
    bool account = false;
    bool client = false;
    std::optional<std::string> out;
    bool force = false;
};

int command_keys_generate(const GenerateOptions& options) {
    if (options.account == options.client) {
        std::fprintf(stderr, "error: choose exactly one of --account or --client\n");
        return cli::exit_usage;
    }
    const std::string path = options.out.value_or(options.account ? "account.pem" : "client.pem");
    if (options.account) {
        const crypto::AccountSecretKey key = crypto::AccountSecretKey::generate();
        if (auto saved = crypto::save_account_key(path, key, options.force); !saved) {
            return cli::report_error(saved.error().message);
        }
        std::printf("account key written to %s\naddress: %s\n", path.c_str(), key.address().to_string().c_str());
    } else {
        const crypto::ClientSecretKey key = crypto::ClientSecretKey::generate();
        if (auto saved = crypto::save_client_key(path, key, options.force); !saved) {
            return cli::report_error(saved.error().message);
        }
        std::printf("client key written to %s\npublic key: %s\n", path.c_str(), key.public_key().to_string().c_str());
    }
    return cli::exit_ok;
}

struct ImportOptions {
    bool account = false;
    bool client = false;
    std::optional<std::string> from;
    std::optional<std::string> out;
    bool force = false;
};

// Reads the hex secret from a file or stdin, never from argv (which ps and shell history show).
Result<SecretBuffer, std::string> read_secret_text(const std::optional<std::string>& from) {
    SecretBuffer text;
    if (from) {
        auto contents = read_secret_file(*from, 4096);
        if (!contents) return fail(contents.error().message);
        return std::move(*contents);
    }
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (input.size() > 4096) input.resize(4096);
    text.assign(as_bytes(input));
    secure_wipe(input.data(), input.size());
    return text;
}

int command_keys_import(const ImportOptions& options) {
    if (options.account == options.client) {
        std::fprintf(stderr, "error: choose exactly one of --account or --client\n");
        return cli::exit_usage;
    }
    auto text = read_secret_text(options.from);
    if (!text) return cli::report_error(text.error());
    std::string_view hex = as_string_view(text->view());
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
    hex = strip_0x(hex);
    auto secret = hex_decode(hex);
    if (!secret) return cli::report_error(fmt::format("the secret key is not valid hex: {}", to_string(secret.error())));
    SecretBuffer bytes;
    bytes.assign(*secret);
    secure_wipe(secret->data(), secret->size());
    if (bytes.size() != 32) {
        return cli::report_error(fmt::format("the secret key is {} bytes; {} keys are 32 bytes (64 hex digits)",
                                             bytes.size(), options.account ? "account" : "client"));
    }
    const std::string path = options.out.value_or(options.account ? "account.pem" : "client.pem");
    if (options.account) {
        auto key = crypto::AccountSecretKey::from_bytes(bytes.view());
        if (!key) return cli::report_error("the secret key is zero or not below the secp256k1 group order");
        if (auto saved = crypto::save_account_key(path, *key, options.force); !saved) return cli::report_error(saved.error().message);
        std::printf("account key written to %s\naddress: %s\n", path.c_str(), key->address().to_string().c_str());
    } else {
        auto key = crypto::ClientSecretKey::from_seed(bytes.view());
        if (!key) return cli::report_error("invalid Ed25519 seed");
        if (auto saved = crypto::save_client_key(path, *key, options.force); !saved) return cli::report_error(saved.error().message);
        std::printf("client key written to %s\npublic key: %s\n", path.c_str(), key->public_key().to_string().c_str());
    }
    return cli::exit_ok;
}

int command_keys_inspect(const std::string& text) {
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        auto address = crypto::AccountAddress::parse(text);
        if (!address) {
            switch (address.error()) {
                case crypto::KeyError::wrong_length:
                    return cli::report_error(fmt::format("an account address is 0x and 40 hex digits; `{}` has {} digits",
                                                         text, text.size() - 2));
                case crypto::KeyError::bad_checksum:
                    return cli::report_error(fmt::format("`{}` fails its EIP-55 checksum (a mistyped letter?)", text));
                default: return cli::report_error(fmt::format("`{}` is not valid hex", text));
            }
        }
        std::printf("kind: account address\naddress: %s\n", address->to_string().c_str());
        return cli::exit_ok;
    }
    auto bytes = base58_decode(text);
    if (!bytes) return cli::report_error(fmt::format("`{}` is not base58: {}", text, to_string(bytes.error())));
    if (bytes->size() == crypto::ed25519::public_key_size) {
        auto key = crypto::ed25519::PublicKey::from_bytes(*bytes);
        if (!key) return cli::report_error("not a valid Ed25519 public key: " + std::string(crypto::to_string(key.error())));
        std::printf("kind: Ed25519 public key (node or client)\npublic key: %s\n", key->to_base58().c_str());
        return cli::exit_ok;
    }
    if (bytes->size() == crypto::bls::public_key_size) {
        auto key = crypto::bls::PublicKey::from_bytes(*bytes);
        if (!key) return cli::report_error("not a valid BLS12-381 public key: " + std::string(crypto::to_string(key.error())));
        std::printf("kind: BLS12-381 public key (consensus)\npublic key: %s\n", key->to_base58().c_str());
        return cli::exit_ok;
    }
    return cli::report_error(fmt::format("`{}` decodes to {} bytes; Ed25519 public keys are 32 bytes and BLS12-381 "
                                         "public keys 96 bytes",
                                         text, bytes->size()));
}

// The operator token for the node's gateway: the first token line of --token-file (mode 0600,
// as the node's gateway.token_path), else $FLK_TOKEN; never from the command line (ps shows it).
Result<std::string, std::string> load_token(const std::optional<std::string>& token_file) {
    if (!token_file) {
        const char* from_environment = std::getenv("FLK_TOKEN");
        return std::string(from_environment == nullptr ? "" : from_environment);
    }
    auto contents = read_secret_file(*token_file, 64 * 1024);
    if (!contents) return fail(contents.error().message);
    std::string_view text = as_string_view(contents->view());
    while (!text.empty()) {
        const size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
        if (!line.empty() && line.front() != '#') return std::string(line);
    }
    return fail(fmt::format("{} holds no token", *token_file));
}

int command_keys_show(const std::string& path) {
    auto key = crypto::load_any_key(path);
    if (!key) return cli::report_error(key.error().message);
    if (const auto* ed = std::get_if<crypto::ed25519::SecretKey>(&*key)) {
        std::printf("kind: Ed25519 (client or node key)\npublic key: %s\n", ed->public_key().to_base58().c_str());
    } else if (const auto* bls = std::get_if<crypto::bls::SecretKey>(&*key)) {
        std::printf("kind: BLS12-381 (consensus key)\npublic key: %s\n", bls->public_key().to_base58().c_str());
    } else if (const auto* account = std::get_if<crypto::ethereum::SecretKey>(&*key)) {
        std::printf("kind: secp256k1 (account key)\naddress: %s\npublic key: 0x%s\n",
                    account->address().to_string().c_str(), hex_encode(account->public_key().compressed()).c_str());
    }
    return cli::exit_ok;
}

}  // namespace
}  // namespace fleek

int main(int argc, char** argv) {
    using namespace fleek;
    CLI::App app{"flk: Fleek Network client"};
    app.name("flk");
    app.set_version_flag("--version", std::string("flk ") + FLEEK_VERSION);
    app.require_subcommand(1);
    // Options of the top-level app (--node, --rpc, --stall-timeout, --token-file) are accepted
    // after the command as well (`flk put --node URL FILE`, `flk --rpc URL transfer ...`): a
    // command passes the options it does not know to its parent. Set before any subcommand is
    // added, so that every (nested) command inherits it.
    app.fallthrough();

    flk::ContentOptions content_options;
    app.add_option("--node", content_options.node_url, "Node gateway URL")->default_str(content_options.node_url)->envname("FLK_NODE");
    app.add_option("--stall-timeout", content_options.stall_timeout_s,
                   "Seconds without a byte from the node before a transfer is abandoned (0: wait forever)")
        ->default_str(std::to_string(content_options.stall_timeout_s))
        ->envname("FLK_STALL_TIMEOUT");
    std::optional<std::string> token_file;
    app.add_option("--token-file", token_file,
                   "File holding the node's operator token (gateway.token_path; else $FLK_TOKEN), for put on nodes that require one")
        ->envname("FLK_TOKEN_FILE");

    std::vector<std::string> hash_paths;
    CLI::App* hash = app.add_subcommand("hash", "Print the BLAKE3 hash of files (as b3sum does) and directories");
    hash->add_option("path", hash_paths, "Files or directories")->required();
    hash->add_option("--threads", content_options.threads, "Threads hashing each large file")->check(CLI::Range(1, 64));

    std::string put_path;
    CLI::App* put = app.add_subcommand("put", "Store a file or directory in the node; prints its hash");
    put->add_option("path", put_path, "File or directory")->required();

    std::string get_hash;
    std::optional<std::string> get_output;
    CLI::App* get = app.add_subcommand("get", "Download content, verifying every block before writing it");
    get->add_option("hash", get_hash, "BLAKE3 hash of a file or directory")->required();
    get->add_option("-o,--output", get_output, "Output file or directory (default: the hash); an interrupted "
                                               "download resumes from OUT.part");
    get->add_flag("--force", content_options.force, "Replace existing files (and write into an existing non-empty directory)");
    get->add_flag("--unsafe-links", content_options.unsafe_links,
                  "Create symbolic links even when they are absolute or lead outside the output directory");
    flk::PaidGetOptions paid_options;
    get->add_option("--client-key", paid_options.client_key_file,
                    "Client key file (flk keys generate --client): fetch over a paid session, signing receipts that the "
                    "account which approved the key pays for (files only; no resume)");
    get->add_option("--handshake", paid_options.handshake,
                    "The node's handshake address HOST:PORT for --client-key (default: --node's host and the handshake_tcp "
                    "port the node behind --rpc registered on chain)");

    std::string ls_hash;
    CLI::App* ls = app.add_subcommand("ls", "List a directory stored in the node");
    ls->add_option("hash", ls_hash, "BLAKE3 hash of a directory")->required();

    flk::CidOptions cid_options;
    struct ImportFlags {
        bool raw_leaves = false;
        bool no_raw_leaves = false;
        bool wrap = false;
        bool no_wrap = false;
    } import_flags;
    const auto add_import_options = [&cid_options, &import_flags](CLI::App* command, const char* default_preset) {
        cid_options.preset = default_preset;
        command->add_option("--preset", cid_options.preset, "kubo (ipfs add defaults) or ipfs-car (ipfs-car pack defaults)")
            ->check(CLI::IsMember({"kubo", "ipfs-car"}))
            ->default_str(default_preset);
        command->add_option("--cid-version", cid_options.cid_version, "CID version of the result (kubo: 1 implies --raw-leaves)")
            ->check(CLI::Range(0, 1));
        command->add_flag("--raw-leaves", import_flags.raw_leaves, "File chunks as raw blocks (the default with CIDv1)");
        command->add_flag("--no-raw-leaves", import_flags.no_raw_leaves, "File chunks as dag-pb nodes (the default with CIDv0)");
        command->add_flag("--wrap", import_flags.wrap, "Put a file in a directory (ipfs-car's default)");
        command->add_flag("--no-wrap", import_flags.no_wrap, "Do not wrap a file in a directory");
        command->add_option("--chunk-size", cid_options.chunk_size, "Bytes per chunk (kubo 262144, ipfs-car 1048576)");
        command->add_option("--max-links", cid_options.max_links, "Links per file node (kubo 174, ipfs-car 1024)");
        command->add_flag("--hidden", cid_options.hidden, "Include files and directories whose names start with '.'");
    };

    std::string cid_path;
    CLI::App* cid = app.add_subcommand("cid", "Print the IPFS CID of a file or directory (offline; kubo's defaults)");
    cid->add_option("path", cid_path, "File or directory")->required();

    CLI::App* car = app.add_subcommand("car", "IPFS content-addressed archives (CAR)");
    car->require_subcommand(1);
    std::string pack_path;
    std::string pack_output;
    CLI::App* car_pack = car->add_subcommand("pack", "Pack a file or directory into a CARv1; prints the root CID");
    car_pack->add_option("path", pack_path, "File or directory")->required();
    car_pack->add_option("-o,--output", pack_output, "CAR file to write")->required();
    std::string unpack_car;
    std::optional<std::string> unpack_output;
    CLI::App* car_unpack = car->add_subcommand("unpack", "Write the content of a CAR (every block verified) to disk");
    car_unpack->add_option("car", unpack_car, "CAR file (v1 or v2)")->required();
    car_unpack->add_option("-o,--output", unpack_output, "Output file or directory (default: the root CID)");
    std::string ls_car;
    bool ls_verbose = false;
    CLI::App* car_ls = car->add_subcommand("ls", "List the paths in a CAR (every block verified)");
    car_ls->add_option("car", ls_car, "CAR file (v1 or v2)")->required();
    car_ls->add_flag("-v,--verbose", ls_verbose, "Also print each CID, kind and size");
    // The options are declared on both commands; each parse sets the defaults of its own.
    add_import_options(car_pack, "ipfs-car");
    const std::string car_default = cid_options.preset;
    add_import_options(cid, "kubo");

    CLI::App* keys = app.add_subcommand("keys", "Create and inspect account and client keys");
    keys->require_subcommand(1);

    GenerateOptions generate;
    CLI::App* keys_generate = keys->add_subcommand("generate", "Generate a key file (mode 0600)");
    keys_generate->add_flag("--account", generate.account, "secp256k1 account key (shows its Ethereum address)");
    keys_generate->add_flag("--client", generate.client, "Ed25519 client key (signs delivery acknowledgements)");
    keys_generate->add_option("--out", generate.out, "Output file (default: account.pem or client.pem)");
    keys_generate->add_flag("--force", generate.force, "Replace an existing file");

    ImportOptions import;
    CLI::App* keys_import = keys->add_subcommand("import", "Write a key file from a hex secret read from stdin or --from");
    keys_import->add_flag("--account", import.account, "secp256k1 account key (32-byte private key)");
    keys_import->add_flag("--client", import.client, "Ed25519 client key (32-byte seed)");
    keys_import->add_option("--from", import.from, "File holding the hex secret (default: stdin); must be mode 0600");
    keys_import->add_option("--out", import.out, "Output file (default: account.pem or client.pem)");
    keys_import->add_flag("--force", import.force, "Replace an existing file");

    std::string inspect_text;
    CLI::App* keys_inspect = keys->add_subcommand("inspect", "Check a base58 public key or 0x account address");
    keys_inspect->add_option("key", inspect_text, "Public key (base58) or address (0x...)")->required();

    std::string show_path = "account.pem";
    CLI::App* keys_show = keys->add_subcommand("show", "Print the public side of a key file");
    keys_show->add_option("file", show_path, "Key file (default: account.pem)");

    const auto ledger_commands = flk::add_ledger_commands(app);
    const auto cost_command = flk::add_cost_command(app);

    return cli::run(app, argc, argv, [&]() -> int {
        if (import_flags.raw_leaves && import_flags.no_raw_leaves) return cli::report_error("--raw-leaves and --no-raw-leaves exclude each other");
        if (import_flags.wrap && import_flags.no_wrap) return cli::report_error("--wrap and --no-wrap exclude each other");
        if (import_flags.raw_leaves || import_flags.no_raw_leaves) cid_options.raw_leaves = import_flags.raw_leaves;
        if (import_flags.wrap || import_flags.no_wrap) cid_options.wrap = import_flags.wrap;
        if (*put || *get || *ls) {
            auto token = load_token(token_file);
            if (!token) return cli::report_error(token.error());
            content_options.token = std::move(*token);
        }
        if (*hash) return flk::command_hash(hash_paths, content_options);
        if (*put) return flk::command_put(put_path, content_options);
        if (*get && get->count("--client-key") != 0) {
            if (content_options.unsafe_links) return cli::report_error("--unsafe-links applies to directories, which --client-key does not fetch");
            paid_options.rpc_url = flk::rpc_url(*ledger_commands);
            return flk::command_paid_get(get_hash, get_output, content_options, paid_options);
        }
        if (*get && get->count("--handshake") != 0) return cli::report_error("--handshake needs --client-key (a paid session)");
        if (*get) return flk::command_get(get_hash, get_output, content_options);
        if (*ls) return flk::command_ls(ls_hash, content_options);
        if (*cid) return flk::command_cid(cid_path, cid_options);
        if (*car_pack) {
            if (car_pack->count("--preset") == 0) cid_options.preset = car_default;
            return flk::command_car_pack(pack_path, pack_output, cid_options);
        }
        if (*car_unpack) return flk::command_car_unpack(unpack_car, unpack_output);
        if (*car_ls) return flk::command_car_ls(ls_car, ls_verbose);
        if (*keys_generate) return command_keys_generate(generate);
        if (*keys_show) return command_keys_show(show_path);
        if (*keys_import) return command_keys_import(import);
        if (*keys_inspect) return command_keys_inspect(inspect_text);
        if (auto code = flk::run_ledger_command(*ledger_commands)) return *code;
        if (auto code = flk::run_cost_command(*cost_command, flk::rpc_url(*ledger_commands), content_options)) return *code;
        return cli::report_error("no command given (see --help)");
    });
}
