#!/bin/sh
rsvg-convert art.svg > art.png
