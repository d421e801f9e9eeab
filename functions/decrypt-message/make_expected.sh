#!/bin/sh
# decrypt-message's inputs and expected outputs are made together with encrypt-message's, by
# the same openssl-based script (its inputs are those ciphertexts, its outputs the plaintexts).
exec "$(dirname "$0")/../encrypt-message/make_expected.sh" "$@"
