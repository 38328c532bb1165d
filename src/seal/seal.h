#pragma once
// The seal/ interfaces the Coordinator core uses, in one include: the seal-key seam
// (SealKeyProvider, KeyKind), data-key sealing and the record-level SealedTransaction.
// Concrete providers (file_seal_key_provider.h, gramine_seal_key_provider.h) are chosen by the
// composition root and are deliberately not included here.

#include "seal/data_key.h"            // IWYU pragma: export
#include "seal/seal_key_provider.h"   // IWYU pragma: export
#include "seal/sealed_transaction.h"  // IWYU pragma: export
