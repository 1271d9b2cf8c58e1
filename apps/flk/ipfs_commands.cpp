#include "apps/flk/ipfs_commands.h"

#include "apps/common/cli.h"
#include "content/directory.h"
#include "ipld/car.h"
#include "ipld/dag.h"
#include "ipld/importer.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

namespace fleek::flk {

namespace fs = std::filesystem;
using ipld::Cid;

namespace {

Result<ipld::ImportOptions, std::string> import_options(const CidOptions& options) {
    ipld::ImportOptions out;
    if (options.preset == "kubo") {
        out = ipld::ImportOptions::kubo();
        if (options.cid_version.value_or(0) == 1) out = ipld::ImportOptions::kubo_v1();
    } else if (options.preset == "ipfs-car") {
        out = ipld::ImportOptions::ipfs_car();
    } else {
        return fail(fmt::format("unknown preset `{}` (kubo or ipfs-car)", options.preset));
    }
    if (options.cid_version) {
        if (*options.cid_version > 1) return fail(std::string("--cid-version is 0 or 1"));
        out.cid_version = *options.cid_version;
    }
    if (options.raw_leaves) out.raw_leaves = *options.raw_leaves;
    if (options.wrap) out.wrap = *options.wrap;
    if (options.chunk_size) {
        if (*options.chunk_size < 1 || *options.chunk_size > (size_t{4} << 20)) return fail(std::string("--chunk-size is 1 to 4194304 bytes"));
        out.chunk_size = *options.chunk_size;
    }
    if (options.max_links) {
        if (*options.max_links < 2 || *options.max_links > 65536) return fail(std::string("--max-links is 2 to 65536"));
        out.max_links = *options.max_links;
    }
    if (options.hidden) out.include_hidden = true;
    return out;
}

// A read-only memory map of a whole file.
class MappedFile {
public:
    static Result<MappedFile, std::string> open(const std::string& path) {
        MappedFile file;
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail(fmt::format("{}: {}", path, std::strerror(errno)));
        struct stat info {};
        if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
            ::close(fd);
            return fail(fmt::format("{}: not a regular file", path));
        }
        file.m_size = static_cast<size_t>(info.st_size);
        if (file.m_size > 0) {
            void* data = ::mmap(nullptr, file.m_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (data == MAP_FAILED) {
                ::close(fd);
                return fail(fmt::format("{}: {}", path, std::strerror(errno)));
            }
            file.m_data = static_cast<const uint8_t*>(data);
        }
        ::close(fd);
        return file;
    }
    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept : m_data(other.m_data), m_size(other.m_size) { other.m_data = nullptr; }
    MappedFile& operator=(MappedFile&&) = delete;
    MappedFile(const MappedFile&) = delete;
    ~MappedFile() {
        if (m_data != nullptr) ::munmap(const_cast<uint8_t*>(m_data), m_size);
    }
    ByteSpan bytes() const { return {m_data, m_size}; }

private:
    const uint8_t* m_data = nullptr;
    size_t m_size = 0;
};

// The blocks of a CAR that read_car verified, served from the mapped file.
class CarSource : public ipld::BlockSource {
public:
    CarSource(ByteSpan car, const ipld::CarContents& contents) : m_car(car) {
        for (const auto& block : contents.blocks) {
            m_blocks.emplace(Bytes(block.cid.multihash().begin(), block.cid.multihash().end()), &block);
        }
    }
    Result<std::optional<Bytes>, std::string> get(const Cid& cid) override {
        const auto found = m_blocks.find(Bytes(cid.multihash().begin(), cid.multihash().end()));
        if (found == m_blocks.end()) return std::optional<Bytes>();
        const ByteSpan bytes = m_car.subspan(found->second->block_offset, found->second->block_size);
        return std::optional<Bytes>(Bytes(bytes.begin(), bytes.end()));
    }

private:
    ByteSpan m_car;
    std::map<Bytes, const ipld::CarBlockRef*> m_blocks;
};

struct OpenedCar {
    MappedFile file;
    ipld::CarContents contents;
};

Result<OpenedCar, std::string> open_car(const std::string& path) {
    auto file = MappedFile::open(path);
    if (!file) return fail(file.error());
    auto contents = ipld::read_car(file->bytes());
    if (!contents) return fail(fmt::format("{}: {}", path, contents.error().message()));
    if (contents->header.roots.empty()) return fail(fmt::format("{}: the CAR names no root", path));
    return OpenedCar{std::move(*file), std::move(*contents)};
}

bool write_all(int fd, ByteSpan bytes) {
    while (!bytes.empty()) {
        const ssize_t put = ::write(fd, bytes.data(), bytes.size());
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return false;
        bytes = bytes.subspan(static_cast<size_t>(put));
    }
    return true;
}

Result<void, std::string> export_node(ipld::BlockSource& source, const Cid& cid, const fs::path& out, size_t depth) {
    if (depth > 256) return fail(fmt::format("{}: directories nested too deep", out.string()));
    auto node = ipld::load_node(source, cid);
    if (!node) return fail(fmt::format("{}: {}", out.string(), node.error().message()));
    switch (node->kind) {
        case ipld::NodeKind::raw_file:
        case ipld::NodeKind::file: {
            const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0) return fail(fmt::format("{}: {}", out.string(), std::strerror(errno)));
            bool ok = true;
            auto read = ipld::read_file(source, *node, 0, UINT64_MAX, [&](ByteSpan bytes) {
                ok = write_all(fd, bytes);
                return ok;
            });
            ::close(fd);
            if (!ok) return fail(fmt::format("{}: {}", out.string(), std::strerror(errno)));
            if (!read) return fail(fmt::format("{}: {}", out.string(), read.error().message()));
            return {};
        }
        case ipld::NodeKind::directory:
        case ipld::NodeKind::hamt_shard: {
            std::error_code error;
            fs::create_directory(out, error);
            if (error) return fail(fmt::format("{}: {}", out.string(), error.message()));
            auto links = ipld::list_directory(source, *node);
            if (!links) return fail(fmt::format("{}: {}", out.string(), links.error().message()));
            for (const auto& link : *links) {
                // Names come from the CAR: never let one climb out of the output directory.
                if (!content::is_valid_entry_name(link.name)) return fail(fmt::format("{}: unsafe entry name `{}`", out.string(), link.name));
                if (auto done = export_node(source, link.cid, out / link.name, depth + 1); !done) return done;
            }
            return {};
        }
        case ipld::NodeKind::symlink: {
            std::error_code error;
            fs::create_symlink(std::string(as_string_view(node->unixfs.data.value_or(Bytes()))), out, error);
            if (error) return fail(fmt::format("{}: {}", out.string(), error.message()));
            return {};
        }
        case ipld::NodeKind::other: break;
    }
    return fail(fmt::format("{}: {} is not a UnixFS file, directory or symlink", out.string(), cid.to_string()));
}

Result<void, std::string> list_node(ipld::BlockSource& source, const Cid& cid, const std::string& path, bool verbose, size_t depth) {
    if (depth > 256) return fail(std::string("directories nested too deep"));
    auto node = ipld::load_node(source, cid);
    if (!node) return fail(fmt::format("{}: {}", path, node.error().message()));
    if (verbose) {
        std::printf("%s\t%s\t%llu\t%s\n", cid.to_string().c_str(), std::string(ipld::to_string(node->kind)).c_str(),
                    static_cast<unsigned long long>(node->file_size()), path.c_str());
    } else {
        std::printf("%s\n", path.c_str());
    }
    if (node->kind != ipld::NodeKind::directory && node->kind != ipld::NodeKind::hamt_shard) return {};
    auto links = ipld::list_directory(source, *node);
    if (!links) return fail(fmt::format("{}: {}", path, links.error().message()));
    for (const auto& link : *links) {
        if (auto listed = list_node(source, link.cid, path + "/" + link.name, verbose, depth + 1); !listed) return listed;
    }
    return {};
}

}  // namespace

int command_cid(const std::string& path, const CidOptions& options) {
    auto import = import_options(options);
    if (!import) return cli::report_error(import.error());
    auto root = ipld::import_path(path, *import, [](const Cid&, ByteSpan) -> Result<void, std::string> { return {}; });
    if (!root) return cli::report_error(root.error());
    std::printf("%s\n", root->cid.to_string().c_str());
    return cli::exit_ok;
}

int command_car_pack(const std::string& path, const std::string& output, const CidOptions& options) {
    auto import = import_options(options);
    if (!import) return cli::report_error(import.error());
    const std::string partial = output + ".part";
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return cli::report_error(fmt::format("{}: {}", partial, std::strerror(errno)));
    // The root is known at the end: write a header for a root of the expected size (CIDv1: 36
    // bytes, CIDv0: 34) and put the real root in its place afterwards.
    std::error_code error;
    const bool single_raw = import->raw_leaves && !import->wrap && fs::is_regular_file(path, error) &&
                            fs::file_size(path, error) <= import->chunk_size;
    const size_t root_size = import->cid_version == 1 || single_raw ? 36 : 34;
    const Cid placeholder = root_size == 36 ? Cid::v1(ipld::multicodec::dag_pb, ipld::multicodec::sha2_256, Bytes(32, 0))
                                            : Cid::v0(Bytes(32, 0));
    Bytes header;
    ipld::append_car_header(header, {placeholder});
    bool ok = write_all(fd, header);
    std::set<Bytes> written;
    uint64_t blocks = 0;
    auto root = ipld::import_path(path, *import, [&](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
        if (!written.insert(Bytes(cid.multihash().begin(), cid.multihash().end())).second) return {};
        Bytes section = ipld::car_section_prefix(cid, block.size());
        if (!write_all(fd, section) || !write_all(fd, block)) return fail(fmt::format("{}: {}", partial, std::strerror(errno)));
        ++blocks;
        return {};
    });
    if (!root || !ok) {
        ::close(fd);
        ::unlink(partial.c_str());
        return cli::report_error(root ? fmt::format("{}: {}", partial, std::strerror(errno)) : root.error());
    }
    Bytes final_header;
    ipld::append_car_header(final_header, {root->cid});
    if (final_header.size() == header.size()) {
        ok = ::pwrite(fd, final_header.data(), final_header.size(), 0) == static_cast<ssize_t>(final_header.size());
    } else {
        // Another root size than expected: copy the sections behind the right header.
        ::close(fd);
        auto sections = MappedFile::open(partial);
        if (!sections) return cli::report_error(sections.error());
        const int rewritten = ::open(partial.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        Bytes copy(sections->bytes().begin() + static_cast<std::ptrdiff_t>(header.size()), sections->bytes().end());
        ok = rewritten >= 0 && write_all(rewritten, final_header) && write_all(rewritten, copy);
        if (rewritten >= 0) ::close(rewritten);
        if (ok) ok = ::rename(partial.c_str(), output.c_str()) == 0;
        if (!ok) return cli::report_error(fmt::format("{}: {}", output, std::strerror(errno)));
        std::printf("%s\n", root->cid.to_string().c_str());
        return cli::exit_ok;
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(partial.c_str(), output.c_str()) != 0) {
        ::unlink(partial.c_str());
        return cli::report_error(fmt::format("{}: {}", output, std::strerror(errno)));
    }
    std::printf("%s\n", root->cid.to_string().c_str());
    std::fprintf(stderr, "%llu blocks written to %s\n", static_cast<unsigned long long>(blocks), output.c_str());
    return cli::exit_ok;
}

int command_car_unpack(const std::string& car_path, const std::optional<std::string>& output) {
    auto car = open_car(car_path);
    if (!car) return cli::report_error(car.error());
    CarSource source(car->file.bytes(), car->contents);
    const Cid& root = car->contents.header.roots[0];
    const fs::path out = output.value_or(root.to_string());
    std::error_code error;
    if (fs::exists(fs::symlink_status(out, error))) {
        // An existing empty directory may receive a directory root's entries.
        if (!fs::is_directory(out, error) || !fs::is_empty(out, error)) return cli::report_error(fmt::format("{} already exists", out.string()));
        fs::remove(out, error);
    }
    if (auto done = export_node(source, root, out, 0); !done) return cli::report_error(done.error());
    std::printf("%s\n", out.string().c_str());
    return cli::exit_ok;
}

int command_car_ls(const std::string& car_path, bool verbose) {
    auto car = open_car(car_path);
    if (!car) return cli::report_error(car.error());
    CarSource source(car->file.bytes(), car->contents);
    if (auto listed = list_node(source, car->contents.header.roots[0], ".", verbose, 0); !listed) return cli::report_error(listed.error());
    return cli::exit_ok;
}

}  // namespace fleek::flk
