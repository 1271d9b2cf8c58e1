#include "apps/flk/content_commands.h"

#include "apps/common/cli.h"
#include "apps/flk/http.h"
#include "apps/flk/progress.h"
#include "content/directory.h"
#include "content/file_hash.h"
#include "content/stream.h"
#include "util/encoding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace fleek::flk {

namespace fs = std::filesystem;
using content::Hash32;

namespace {

Result<Hash32, std::string> parse_hash(const std::string& text) {
    auto bytes = hex_decode_array<32>(text);
    if (!bytes) return fail(fmt::format("`{}` is not a BLAKE3 hash (64 hex digits)", text));
    return *bytes;
}

std::string base_url(const ContentOptions& options) {
    std::string url = options.node_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

// ------------------------------------------------------------------------- local hashing

// Hash of a local file or directory tree, as the node will compute it.
Result<Hash32, std::string> hash_local(const fs::path& path, unsigned threads);

Result<content::Directory, std::string> local_directory(const fs::path& path, unsigned threads) {
    std::vector<content::DirectoryEntry> entries;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(path, error)) {
        const std::string name = item.path().filename().string();
        const auto status = item.symlink_status(error);
        content::DirectoryEntry entry;
        entry.name = name;
        if (fs::is_symlink(status)) {
            entry.kind = content::EntryKind::symlink;
            entry.target = fs::read_symlink(item.path(), error).string();
        } else if (fs::is_directory(status)) {
            entry.kind = content::EntryKind::directory;
            auto hash = hash_local(item.path(), threads);
            if (!hash) return fail(hash.error());
            entry.hash = *hash;
        } else if (fs::is_regular_file(status)) {
            auto tree = content::hash_file(item.path(), threads);
            if (!tree) return fail(tree.error());
            entry.hash = tree->root();
        } else {
            return fail(fmt::format("{}: only files, directories and symbolic links can be stored", item.path().string()));
        }
        entries.push_back(std::move(entry));
    }
    if (error) return fail(fmt::format("cannot read directory {}: {}", path.string(), error.message()));
    auto directory = content::Directory::make(std::move(entries));
    if (!directory) return fail(fmt::format("{}: {}", path.string(), to_string(directory.error())));
    return std::move(*directory);
}

Result<Hash32, std::string> hash_local(const fs::path& path, unsigned threads) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
        auto directory = local_directory(path, threads);
        if (!directory) return fail(directory.error());
        return directory->hash();
    }
    auto tree = content::hash_file(path, threads);
    if (!tree) return fail(tree.error());
    return tree->root();
}

// ------------------------------------------------------------------------- put

Result<Hash32, std::string> put_path(HttpClient& client, const fs::path& path, const ContentOptions& options);

Result<Hash32, std::string> put_file(HttpClient& client, const fs::path& path, const ContentOptions& options) {
    auto tree = content::hash_file(path, options.threads);
    if (!tree) return fail(tree.error());
    const std::string hex = hex_encode(tree->root());
    ProgressBar bar("put " + path.filename().string());
    const auto response = client.put_file(base_url(options) + "/blake3/" + hex, path,
                                          [&](uint64_t done, uint64_t total) { bar.update(done, total); });
    bar.finish();
    if (!response.ok()) return fail(fmt::format("uploading {} failed: {}", path.string(), response.describe()));
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (!json.is_object() || !json.contains("hash") || json["hash"] != hex) {
        return fail(fmt::format("the node answered another hash for {} than the one computed here ({}): {}", path.string(), hex,
                                response.body));
    }
    return tree->root();
}

Result<Hash32, std::string> put_directory(HttpClient& client, const fs::path& path, const ContentOptions& options) {
    std::vector<content::DirectoryEntry> entries;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(path, error)) {
        content::DirectoryEntry entry;
        entry.name = item.path().filename().string();
        const auto status = item.symlink_status(error);
        if (fs::is_symlink(status)) {
            entry.kind = content::EntryKind::symlink;
            entry.target = fs::read_symlink(item.path(), error).string();
        } else {
            auto hash = put_path(client, item.path(), options);
            if (!hash) return fail(hash.error());
            entry.kind = fs::is_directory(status) ? content::EntryKind::directory : content::EntryKind::file;
            entry.hash = *hash;
        }
        entries.push_back(std::move(entry));
    }
    if (error) return fail(fmt::format("cannot read directory {}: {}", path.string(), error.message()));
    auto directory = content::Directory::make(std::move(entries));
    if (!directory) return fail(fmt::format("{}: {}", path.string(), to_string(directory.error())));
    const Bytes encoded = directory->encode();
    const auto response = client.put_bytes(base_url(options) + "/blake3?format=dir", encoded);
    if (!response.ok()) return fail(fmt::format("uploading directory {} failed: {}", path.string(), response.describe()));
    const std::string hex = hex_encode(directory->hash());
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (!json.is_object() || !json.contains("hash") || json["hash"] != hex) {
        return fail(fmt::format("the node answered another hash for directory {} than the one computed here ({})",
                                path.string(), hex));
    }
    return directory->hash();
}

Result<Hash32, std::string> put_path(HttpClient& client, const fs::path& path, const ContentOptions& options) {
    std::error_code error;
    const auto status = fs::status(path, error);
    if (error) return fail(fmt::format("{}: {}", path.string(), error.message()));
    if (fs::is_directory(status)) return put_directory(client, path, options);
    if (fs::is_regular_file(status)) return put_file(client, path, options);
    return fail(fmt::format("{}: only files and directories can be stored", path.string()));
}

// ------------------------------------------------------------------------- get

struct FileSink {
    int fd = -1;
    uint64_t written = 0;
    bool failed = false;
};

// Downloads one file into `output` through the verified stream, resuming from `output`.part.
Result<void, std::string> get_file(HttpClient& client, const Hash32& hash, const fs::path& output,
                                   const ContentOptions& options) {
    const std::string hex = hex_encode(hash);
    const fs::path partial = output.string() + ".part";
    std::error_code error;
    uint64_t start_block = 0;
    if (const auto size = fs::file_size(partial, error); !error) start_block = size / content::block_size;

    for (int attempt = 0; attempt < 2; ++attempt) {
        const int fd = ::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return fail(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
        // Only whole blocks already verified are kept.
        if (::ftruncate(fd, static_cast<off_t>(start_block * content::block_size)) != 0 ||
            ::lseek(fd, 0, SEEK_END) < 0) {
            ::close(fd);
            return fail(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
        }
        content::StreamVerifier verifier(hash, start_block);
        FileSink sink{fd, start_block * content::block_size};
        ProgressBar bar("get " + output.filename().string());
        bool prefix_checked = start_block == 0;
        bool prefix_ok = true;
        const auto write_block = [&](uint64_t, ByteSpan block) {
            size_t done = 0;
            while (done < block.size()) {
                const ssize_t put = ::write(fd, block.data() + done, block.size() - done);
                if (put < 0 && errno == EINTR) continue;
                if (put <= 0) {
                    sink.failed = true;
                    return false;
                }
                done += static_cast<size_t>(put);
            }
            sink.written += block.size();
            bar.update(sink.written, verifier.header() ? verifier.header()->content_length : 0);
            return true;
        };
        const auto on_data = [&](ByteSpan data) {
            auto fed = verifier.feed(data, write_block);
            if (!fed) return false;
            if (!prefix_checked && verifier.verifier() != nullptr && !verifier.verifier()->verified_prefix().empty()) {
                // Resuming: the local prefix must match the subtrees the first proof vouched for.
                prefix_checked = true;
                Bytes local(start_block * content::block_size);
                if (::pread(fd, local.data(), local.size(), 0) != static_cast<ssize_t>(local.size())) {
                    prefix_ok = false;
                    return false;
                }
                for (const auto& subtree : verifier.verifier()->verified_prefix()) {
                    const ByteSpan bytes = ByteSpan(local).subspan(subtree.first * content::block_size,
                                                                  (subtree.end - subtree.first) * content::block_size);
                    if (content::subtree_hash(bytes, subtree.first, subtree.end, verifier.header()->content_length) !=
                        subtree.hash) {
                        prefix_ok = false;
                        return false;
                    }
                }
            }
            return true;
        };
        const std::string url = fmt::format("{}/blake3/{}?format=verified&start={}", base_url(options), hex, start_block);
        const auto response = client.get_stream(url, on_data);
        bar.finish();
        if (!prefix_ok) {
            ::close(fd);
            std::fprintf(stderr, "flk: %s does not match %s; downloading from the start\n", partial.c_str(), hex.c_str());
            start_block = 0;
            continue;
        }
        if (response.status == 416 && start_block > 0) {
            ::close(fd);
            start_block = 0;  // the partial file is longer than the content: start over
            continue;
        }
        if (sink.failed) {
            ::close(fd);
            return fail(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
        }
        if (auto finished = verifier.finish(); !finished) {
            ::close(fd);
            if (finished.error().error == content::StreamError::truncated) {
                if (!response.ok() && response.status != 0) return fail(fmt::format("{}: {}", hex, response.describe()));
                return fail(fmt::format("download of {} interrupted after {} bytes ({}); run the same command again to resume",
                                        hex, sink.written, response.transport_error.empty() ? "stream ended" : response.transport_error));
            }
            return fail(fmt::format("{} failed verification: {}; nothing unverified was written", hex, finished.error().describe()));
        }
        if (::fsync(fd) != 0) {
            ::close(fd);
            return fail(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
        }
        ::close(fd);
        fs::rename(partial, output, error);
        if (error) return fail(fmt::format("cannot rename {} to {}: {}", partial.string(), output.string(), error.message()));
        return {};
    }
    return fail(fmt::format("could not resume {}", hex));
}

Result<content::Directory, std::string> fetch_directory(HttpClient& client, const Hash32& hash, const ContentOptions& options) {
    const auto response = client.get(fmt::format("{}/blake3/{}?format=dir", base_url(options), hex_encode(hash)));
    if (!response.ok()) return fail(fmt::format("{}: {}", hex_encode(hash), response.describe()));
    auto directory = content::Directory::decode(as_bytes(response.body));
    if (!directory) return fail(fmt::format("{}: the node sent an invalid directory listing", hex_encode(hash)));
    if (directory->hash() != hash) return fail(fmt::format("{}: the directory listing does not match its hash", hex_encode(hash)));
    return std::move(*directory);
}

Result<void, std::string> get_directory(HttpClient& client, const Hash32& hash, const fs::path& output,
                                        const ContentOptions& options) {
    auto directory = fetch_directory(client, hash, options);
    if (!directory) return fail(directory.error());
    std::error_code error;
    fs::create_directories(output, error);
    if (error) return fail(fmt::format("cannot create {}: {}", output.string(), error.message()));
    for (const auto& entry : directory->entries()) {
        const fs::path target = output / entry.name;
        Result<void, std::string> done;
        switch (entry.kind) {
            case content::EntryKind::file: done = get_file(client, entry.hash, target, options); break;
            case content::EntryKind::directory: done = get_directory(client, entry.hash, target, options); break;
            case content::EntryKind::symlink:
                fs::remove(target, error);
                fs::create_symlink(entry.target, target, error);
                if (error) done = fail(fmt::format("cannot create link {}: {}", target.string(), error.message()));
                break;
        }
        if (!done) return done;
    }
    return {};
}

}  // namespace

int command_hash(const std::vector<std::string>& paths, const ContentOptions& options) {
    int status = cli::exit_ok;
    for (const auto& path : paths) {
        auto hash = hash_local(path, options.threads);
        if (!hash) {
            cli::report_error(hash.error());
            status = cli::exit_failure;
            continue;
        }
        std::printf("%s  %s\n", hex_encode(*hash).c_str(), path.c_str());
    }
    return status;
}

int command_put(const std::string& path, const ContentOptions& options) {
    HttpClient client;
    auto hash = put_path(client, path, options);
    if (!hash) return cli::report_error(hash.error());
    std::printf("%s  %s\n", hex_encode(*hash).c_str(), path.c_str());
    return cli::exit_ok;
}

int command_get(const std::string& hash_text, const std::optional<std::string>& output, const ContentOptions& options) {
    auto hash = parse_hash(hash_text);
    if (!hash) return cli::report_error(hash.error());
    HttpClient client;
    const auto head = client.head(fmt::format("{}/blake3/{}", base_url(options), hash_text));
    if (!head.ok()) return cli::report_error(fmt::format("{}: {}", hash_text, head.describe()));
    const bool is_directory = head.headers.count("x-fleek-kind") != 0 && head.headers.at("x-fleek-kind") == "directory";
    const fs::path target = output.value_or(hash_text);
    auto done = is_directory ? get_directory(client, *hash, target, options) : get_file(client, *hash, target, options);
    if (!done) return cli::report_error(done.error());
    std::fprintf(stderr, "%s verified and written to %s\n", hash_text.c_str(), target.c_str());
    return cli::exit_ok;
}

int command_ls(const std::string& hash_text, const ContentOptions& options) {
    auto hash = parse_hash(hash_text);
    if (!hash) return cli::report_error(hash.error());
    HttpClient client;
    auto directory = fetch_directory(client, *hash, options);
    if (!directory) return cli::report_error(directory.error());
    for (const auto& entry : directory->entries()) {
        switch (entry.kind) {
            case content::EntryKind::file: std::printf("file  %s  %s\n", hex_encode(entry.hash).c_str(), entry.name.c_str()); break;
            case content::EntryKind::directory:
                std::printf("dir   %s  %s/\n", hex_encode(entry.hash).c_str(), entry.name.c_str());
                break;
            case content::EntryKind::symlink: std::printf("link  %-64s  %s -> %s\n", "", entry.name.c_str(), entry.target.c_str()); break;
        }
    }
    return cli::exit_ok;
}

}  // namespace fleek::flk
