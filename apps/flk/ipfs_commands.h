// flk cid | car pack | car unpack | car ls (brief §8): IPFS content addressing, offline.
#pragma once

#include <optional>
#include <string>

namespace fleek::flk {

struct CidOptions {
    std::string preset = "kubo";        // kubo (ipfs add) or ipfs-car (ipfs-car pack)
    std::optional<unsigned> cid_version;
    std::optional<bool> raw_leaves;
    std::optional<bool> wrap;
    std::optional<size_t> chunk_size;
    std::optional<size_t> max_links;
    bool hidden = false;
};

int command_cid(const std::string& path, const CidOptions& options);
int command_car_pack(const std::string& path, const std::string& output, const CidOptions& options);
int command_car_unpack(const std::string& car, const std::optional<std::string>& output);
int command_car_ls(const std::string& car, bool verbose);

}  // namespace fleek::flk
