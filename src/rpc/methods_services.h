// The methods a paying client needs (flk_get_service: a price; flk_get_client_key_owner: the
// account its deliveries are charged to), declared in their own file and
// added to the standard registry by methods.cpp.
#pragma once

#include "rpc/registry.h"

namespace fleek::rpc {

// Declares flk_get_service, flk_get_client_key_owner and the Service schema on `registry`.
void add_service_methods(Registry& registry);

}  // namespace fleek::rpc
