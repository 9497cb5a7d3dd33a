#!/bin/sh
# Make sure the Fashion-MNIST IDX files are present at /usr/share/datasets/fashion-mnist/,
# installing the Debian package dataset-fashion-mnist when they are missing.
# Used by `make demo` and `make test`; safe to run again (it does nothing when the files are there).
set -eu
DIR="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [ -d "$DIR" ] && ls "$DIR"/train-images-idx3-ubyte* >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-fashion-mnist: $DIR is missing and apt-get is not available;" >&2
    echo "install the Debian package dataset-fashion-mnist, or pass path= to load_fashion_mnist" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q dataset-fashion-mnist
fi
ls "$DIR"/train-images-idx3-ubyte* >/dev/null
