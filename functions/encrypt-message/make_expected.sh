#!/bin/sh
# Makes the committed inputs and expected outputs of encrypt-message AND decrypt-message, and
# prints the expected_sha256 values of the generated (large) inputs for both function.yaml files.
# Independent of the functions' C++ code: the test vectors are the published hex values below,
# the message ciphertexts come from `openssl enc -aes-256-cbc` (PKCS#7 is openssl's default).
# Not run by the build. Needs cc, openssl, jq, xxd, base64, sha256sum. Usage: ./make_expected.sh
set -eu
enc=$(cd "$(dirname "$0")" && pwd)
dec="$enc/../decrypt-message"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

b64_of_hex() { printf '%s' "$1" | xxd -r -p | base64 -w0; }

# A published vector (padding none): writes the inputs and expected outputs of both functions,
# after checking that openssl agrees with the typed ciphertext (catches typing mistakes).
vector() { # name key iv plaintext-hex ciphertext-hex
  name=$1 key=$2 iv=$3 pt=$4 ct=$5
  got=$(printf '%s' "$pt" | xxd -r -p | openssl enc -aes-256-cbc -nopad -K "$key" -iv "$iv" | xxd -p | tr -d '\n')
  [ "$got" = "$ct" ] || { echo "vector $name: openssl gives $got, typed $ct" >&2; exit 1; }
  p=$(b64_of_hex "$pt") c=$(b64_of_hex "$ct")
  printf '{"iv":"%s","key":"%s","padding":"none","plaintext":"%s"}\n' "$iv" "$key" "$p" > "$enc/inputs/$name.json"
  printf '{"ciphertext":"%s"}\n' "$c" > "$enc/expected/$name.json"
  printf '{"ciphertext":"%s","iv":"%s","key":"%s","padding":"none"}\n' "$c" "$iv" "$key" > "$dec/inputs/$name.json"
  printf '{"plaintext":"%s"}\n' "$p" > "$dec/expected/$name.json"
}

# FIPS-197 Appendix C.3 (AES-256, one block): CBC with a zero IV on one block is the bare cipher.
vector fips197 \
  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
  00000000000000000000000000000000 \
  00112233445566778899aabbccddeeff \
  8ea2b7ca516745bfeafc49904b496089

# NIST SP 800-38A F.2.5 CBC-AES256.Encrypt (F.2.6 Decrypt is the same data reversed).
vector sp800-38a \
  603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4 \
  000102030405060708090a0b0c0d0e0f \
  6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710 \
  f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b

# Messages: the generator's plaintexts, encrypted by openssl.
cc -O2 "$enc/gen_inputs.c" -lm -o "$tmp/gen"
(cd "$tmp" && ./gen "$tmp")
for kb in 1 50 512 1024 2048; do
  in="$tmp/plain-kb$kb.json"
  key=$(jq -r .key "$in") iv=$(jq -r .iv "$in")
  jq -r .plaintext "$in" | base64 -d | openssl enc -aes-256-cbc -K "$key" -iv "$iv" | base64 -w0 > "$tmp/ct"
  jq -r .plaintext "$in" | tr -d '\n' > "$tmp/pt"
  { printf '{"ciphertext":"'; cat "$tmp/ct"; printf '"}'; } > "$tmp/enc-out"
  { printf '{"plaintext":"'; cat "$tmp/pt"; printf '"}'; } > "$tmp/dec-out"
  { printf '{"ciphertext":"'; cat "$tmp/ct"; printf '","iv":"%s","key":"%s"}' "$iv" "$key"; } > "$tmp/dec-in"
  # The generator's own AES (it makes decrypt-message's large inputs) must agree with openssl.
  cmp -s "$tmp/dec-in" "$tmp/cipher-kb$kb.json" || { echo "gen_inputs.c ciphertext for kb$kb differs from openssl" >&2; exit 1; }
  if [ "$kb" -le 50 ]; then
    cp "$in" "$enc/inputs/kb$kb.json"
    cp "$tmp/enc-out" "$enc/expected/kb$kb.json"
    cp "$tmp/dec-in" "$dec/inputs/kb$kb.json"
    cp "$tmp/dec-out" "$dec/expected/kb$kb.json"
  else
    echo "kb$kb encrypt-message expected_sha256: $(sha256sum < "$tmp/enc-out" | cut -d' ' -f1)"
    echo "kb$kb decrypt-message expected_sha256: $(sha256sum < "$tmp/dec-out" | cut -d' ' -f1)"
  fi
done
