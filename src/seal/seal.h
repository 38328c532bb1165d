#pragma once
// The seal/ interfaces the Coordinator core uses, in one include: the seal-key seam
// (SealKeyProvider, KeyKind), data-key sealing and the SealedStore (sealed records under an
// integrity root). Concrete providers (file_seal_key_provider.h, gramine_seal_key_provider.h) are
// chosen by the composition root and are deliberately not included here.

#include "seal/data_key.h"           // IWYU pragma: export
#include "seal/seal_key_provider.h"  // IWYU pragma: export
#include "seal/sealed_store.h"       // IWYU pragma: export
