#!/bin/sh
set -eu
mkdir -p out
python3 src/hello.py golden > out/greeting.txt
