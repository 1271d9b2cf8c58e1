#include "apps/flk/content_commands.h"

#include "apps/common/cli.h"
#include "apps/flk/http.h"
#include "apps/flk/progress.h"
#include "content/directory.h"
#include "content/file_hash.h"
#include "content/link_policy.h"
#include "content/stream.h"
#include "util/encoding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <stdio.h>
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

HttpClient make_client(const ContentOptions& options) {
    return HttpClient(HttpClientOptions{.stall_timeout_s = options.stall_timeout_s, .bearer_token = options.token});
}

struct FileSink {
    int fd = -1;
    uint64_t written = 0;
    uint64_t blocks = 0;  // verified blocks written by this attempt
    bool failed = false;
};

// Downloads one file into `output` through the verified stream, resuming from `output`.part.
// What the .part holds is kept only as far as a block received now proves it: the stream
// starts at the first block not kept, and its first proof vouches for every block before.
Result<void, std::string> get_file(HttpClient& client, const Hash32& hash, const fs::path& output,
                                   const ContentOptions& options) {
    const std::string hex = hex_encode(hash);
    const fs::path partial = output.string() + ".part";
    if (!options.force && exists_no_follow(output)) return fail(fmt::format("{} already exists (use --force to replace it)", output.string()));
    uint64_t start_block = 0;
    struct stat part_info {};
    if (::lstat(partial.c_str(), &part_info) == 0) {
        if (!S_ISREG(part_info.st_mode)) return fail(fmt::format("{} is not a regular file", partial.string()));
        start_block = static_cast<uint64_t>(part_info.st_size) / content::block_size;
    }

    // Each attempt keeps fewer blocks of the .part than the one before, so this ends.
    for (int attempt = 0; attempt < 3; ++attempt) {
        const int fd = ::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) return fail(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
        // Only whole blocks are kept.
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
            ++sink.blocks;
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
        if (start_block > 0 && (!prefix_checked || sink.blocks == 0)) {
            // The .part held every block or more, so nothing was sent and nothing proved what it
            // holds: keep all but the last block and fetch that one with its proof.
            ::close(fd);
            const uint64_t blocks = content::block_count(verifier.header()->content_length);
            start_block = blocks - 1 < start_block ? blocks - 1 : 0;
            continue;
        }
        struct stat written {};
        if (::fstat(fd, &written) != 0 || static_cast<uint64_t>(written.st_size) != verifier.header()->content_length) {
            ::close(fd);
            return fail(fmt::format("{} has {} bytes after the download, not the {} of {}; it was changed meanwhile", partial.string(),
                                    static_cast<uint64_t>(written.st_size), verifier.header()->content_length, hex));
        }
        if (::fsync(fd) != 0) {
            ::close(fd);
            return fail(fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)));
        }
        ::close(fd);
        return move_into_place(partial, output, options.force);
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

// Every directory listing of a tree (each verified against its hash), by path from the root,
// fetched before anything is written so links can be judged against the whole tree.
using ListedTree = std::map<std::vector<std::string>, content::Directory>;

Result<void, std::string> list_tree(HttpClient& client, const Hash32& hash, std::vector<std::string>& path, ListedTree& tree,
                                    const ContentOptions& options) {
    if (path.size() > 256) return fail(std::string("directories nested more than 256 deep"));
    auto directory = fetch_directory(client, hash, options);
    if (!directory) return fail(directory.error());
    for (const auto& entry : directory->entries()) {
        if (entry.kind != content::EntryKind::directory) continue;
        path.push_back(entry.name);
        auto listed = list_tree(client, entry.hash, path, tree, options);
        path.pop_back();
        if (!listed) return listed;
    }
    tree.emplace(path, std::move(*directory));
    return {};
}

std::string joined(const std::vector<std::string>& path, const std::string& name) {
    std::string out;
    for (const auto& part : path) out += part + "/";
    return out + name;
}

// Refuses (unless --unsafe-links) links that are absolute or lead outside the output.
Result<void, std::string> check_links(const ListedTree& tree, const ContentOptions& options) {
    if (options.unsafe_links) return {};
    const content::EntryLookup lookup = [&tree](const std::vector<std::string>& at, std::string_view name) -> const content::DirectoryEntry* {
        const auto found = tree.find(at);
        return found == tree.end() ? nullptr : found->second.find(name);
    };
    for (const auto& [path, directory] : tree) {
        for (const auto& entry : directory.entries()) {
            if (entry.kind != content::EntryKind::symlink) continue;
            const content::LinkTarget where = content::resolve_link(lookup, path, entry.target);
            if (where != content::LinkTarget::inside) {
                return fail(fmt::format("refusing the link {} -> {}: it {}; nothing was written (--unsafe-links creates it anyway)",
                                        joined(path, entry.name), entry.target, content::to_string(where)));
            }
        }
    }
    return {};
}

// Makes `path` an empty or (with --force) existing directory; never follows a link there.
Result<void, std::string> prepare_directory(const fs::path& path, bool force) {
    std::error_code error;
    const auto status = fs::symlink_status(path, error);
    if (fs::exists(status)) {
        if (fs::is_directory(status)) {
            if (force || fs::is_empty(path, error)) return {};
            return fail(fmt::format("{} already exists and is not empty (use --force to write into it)", path.string()));
        }
        if (!force) return fail(fmt::format("{} already exists (use --force to replace it)", path.string()));
        fs::remove(path, error);
        if (error) return fail(fmt::format("cannot replace {}: {}", path.string(), error.message()));
    }
    fs::create_directory(path, error);
    if (error) return fail(fmt::format("cannot create {}: {}", path.string(), error.message()));
    return {};
}

Result<void, std::string> write_tree(HttpClient& client, const ListedTree& tree, std::vector<std::string>& path, const fs::path& output,
                                     const ContentOptions& options, std::vector<fs::path>& links) {
    if (auto prepared = prepare_directory(output, options.force); !prepared) return prepared;
    std::error_code error;
    for (const auto& entry : tree.at(path).entries()) {
        const fs::path target = output / entry.name;
        const auto existing = fs::symlink_status(target, error);
        if (fs::exists(existing) && entry.kind != content::EntryKind::directory && fs::is_directory(existing)) {
            return fail(fmt::format("{} is a directory; it is not replaced by a {}", target.string(),
                                    entry.kind == content::EntryKind::file ? "file" : "link"));
        }
        Result<void, std::string> done;
        switch (entry.kind) {
            case content::EntryKind::file: done = get_file(client, entry.hash, target, options); break;
            case content::EntryKind::directory:
                path.push_back(entry.name);
                done = write_tree(client, tree, path, target, options, links);
                path.pop_back();
                break;
            case content::EntryKind::symlink:
                if (fs::exists(existing)) {
                    if (!options.force) return fail(fmt::format("{} already exists (use --force to replace it)", target.string()));
                    fs::remove(target, error);
                }
                fs::create_symlink(entry.target, target, error);
                if (error) done = fail(fmt::format("cannot create link {}: {}", target.string(), error.message()));
                links.push_back(target);
                break;
        }
        if (!done) return done;
    }
    return {};
}

Result<void, std::string> get_directory(HttpClient& client, const Hash32& hash, const fs::path& output,
                                        const ContentOptions& options) {
    ListedTree tree;
    std::vector<std::string> path;
    if (auto listed = list_tree(client, hash, path, tree, options); !listed) return listed;
    if (auto checked = check_links(tree, options); !checked) return checked;
    std::vector<fs::path> links;
    if (auto written = write_tree(client, tree, path, output, options, links); !written) return written;
    if (options.unsafe_links) return {};
    // What was on disk before (--force into an existing directory) is not in the tree that was
    // checked: every link written must still resolve inside the output on disk.
    std::error_code error;
    const fs::path root = fs::canonical(output, error);
    if (error) return fail(fmt::format("{}: {}", output.string(), error.message()));
    for (const auto& link : links) {
        const fs::path resolved = fs::weakly_canonical(link, error);
        const auto relative = resolved.lexically_relative(root);
        if (error || relative.empty() || *relative.begin() == "..") {
            fs::remove(link, error);
            return fail(fmt::format("removed the link {}: on disk it leads outside {}", link.string(), output.string()));
        }
    }
    return {};
}

}  // namespace

bool exists_no_follow(const fs::path& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

Result<void, std::string> move_into_place(const fs::path& partial, const fs::path& output, bool force) {
    const int moved = force ? ::rename(partial.c_str(), output.c_str())
                            : ::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, output.c_str(), RENAME_NOREPLACE);
    if (moved == 0) return {};
    if (errno == EEXIST) return fail(fmt::format("{} already exists (use --force to replace it)", output.string()));
    return fail(fmt::format("cannot rename {} to {}: {}", partial.string(), output.string(), std::strerror(errno)));
}

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
    HttpClient client = make_client(options);
    auto hash = put_path(client, path, options);
    if (!hash) return cli::report_error(hash.error());
    std::printf("%s  %s\n", hex_encode(*hash).c_str(), path.c_str());
    return cli::exit_ok;
}

int command_get(const std::string& hash_text, const std::optional<std::string>& output, const ContentOptions& options) {
    auto hash = parse_hash(hash_text);
    if (!hash) return cli::report_error(hash.error());
    HttpClient client = make_client(options);
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
    HttpClient client = make_client(options);
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
