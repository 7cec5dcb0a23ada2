#!/usr/bin/env python3
"""Writes a clean CGAL figure as a textured OBJ, the shape SF3D writes (OBJ + MTL + picture),
for the colour rows of bench/run_mesh.sh: the picture projected on the figure's front (x, y),
showing through to the back.
    textured_figure.py FIGURE.off PICTURE OUT_DIR"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from break_meshes import read_off  # noqa: E402


def main():
    figure, picture, out = sys.argv[1:4]
    points, faces = read_off(figure)
    os.makedirs(out, exist_ok=True)
    texture = "texture" + os.path.splitext(picture)[1]
    shutil.copyfile(picture, os.path.join(out, texture))
    with open(os.path.join(out, "figure.mtl"), "w") as f:
        f.write(f"newmtl figure\nKd 1 1 1\nmap_Kd {texture}\n")
    lo = [min(p[k] for p in points) for k in range(2)]
    hi = [max(p[k] for p in points) for k in range(2)]
    with open(os.path.join(out, "figure.obj"), "w") as f:
        f.write("mtllib figure.mtl\nusemtl figure\n")
        for p in points:
            f.write(f"v {p[0]} {p[1]} {p[2]}\n")
        for p in points:
            f.write(f"vt {(p[0] - lo[0]) / (hi[0] - lo[0])} {(p[1] - lo[1]) / (hi[1] - lo[1])}\n")
        for t in faces:
            f.write("f " + " ".join(f"{v + 1}/{v + 1}" for v in t) + "\n")


if __name__ == "__main__":
    main()
