#!/bin/sh
# Make sure the Fashion-MNIST IDX files are present at /usr/share/datasets/fashion-mnist/
# (or $FASHION_MNIST_DIR), installing the Debian package dataset-fashion-mnist when they
# are missing. Used by `make demo` and `make test`; does nothing when the files are there.
set -eu
DIR="${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
exec sh "$(dirname "$0")/apt-ensure.sh" dataset-fashion-mnist "$DIR/train-images-idx3-ubyte*"
