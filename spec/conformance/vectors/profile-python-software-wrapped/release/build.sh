#!/bin/sh
python3 -m zipfile -c dist/hello.whl src/hello
