#!/usr/bin/env python3
"""Breaks clean CGAL figures the ways image-to-3D meshes break, for bench/run_mesh.sh:
holes, a flipped patch, cracks (vertices split a hair apart), degenerate faces, floating
specks, crossing sheets (a patch copied and turned through the surface), a detached accessory
and a part pushed into the figure. Writes one OFF per case into OUT.
    break_meshes.py FIGURE.off SPHERE.off OUT"""
import math
import os
import random
import sys


def read_off(path):
    words = []
    with open(path) as f:
        for line in f:
            words += line.split("#")[0].split()
    assert words[0].startswith("OFF")
    nv, nf = int(words[1]), int(words[2])
    at = 4
    points = []
    for _ in range(nv):
        points.append([float(w) for w in words[at:at + 3]])
        at += 3
    faces = []
    for _ in range(nf):
        n = int(words[at])
        poly = [int(w) for w in words[at + 1:at + 1 + n]]
        at += 1 + n
        faces += [[poly[0], poly[k], poly[k + 1]] for k in range(1, n - 1)]
    return points, faces


def write_off(path, points, faces):
    with open(path, "w") as f:
        f.write("OFF\n%d %d 0\n" % (len(points), len(faces)))
        for p in points:
            f.write("%.9g %.9g %.9g\n" % tuple(p))
        for t in faces:
            f.write("3 %d %d %d\n" % tuple(t))


def bounds(points):
    return ([min(p[k] for p in points) for k in range(3)],
            [max(p[k] for p in points) for k in range(3)])


def near(points, faces, at, radius):
    """Faces with every corner within `radius` of the vertex nearest `at`."""
    seed = min(points, key=lambda p: math.dist(p, at))
    return [i for i, t in enumerate(faces) if all(math.dist(points[v], seed) <= radius for v in t)], seed


def add(points, faces, part_points, part_faces, scale=1.0, offset=(0, 0, 0)):
    base = len(points)
    points += [[p[k] * scale + offset[k] for k in range(3)] for p in part_points]
    faces += [[v + base for v in t] for t in part_faces]


def turned(points, faces, idx, seed, degrees):
    """A copy of the faces `idx` turned about the X axis through `seed`."""
    a = math.radians(degrees)
    index, out_p, out_f = {}, [], []
    for i in idx:
        tri = []
        for v in faces[i]:
            if v not in index:
                index[v] = len(out_p)
                p = points[v]
                y, z = p[1] - seed[1], p[2] - seed[2]
                out_p.append([p[0], seed[1] + math.cos(a) * y - math.sin(a) * z,
                              seed[2] + math.sin(a) * y + math.cos(a) * z])
            tri.append(index[v])
        out_f.append(tri)
    return out_p, out_f


def main():
    figure, sphere, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    P, F = read_off(figure)
    SP, SF = read_off(sphere)
    lo, hi = bounds(P)
    size = max(hi[k] - lo[k] for k in range(3))
    centre = [(lo[k] + hi[k]) / 2 for k in range(3)]
    up = max(range(3), key=lambda k: hi[k] - lo[k])
    random.seed(5)
    spots = [P[random.randrange(len(P))] for _ in range(6)]

    # holes: six patches cut out
    gone = set()
    for s in spots:
        gone.update(near(P, F, s, 0.03 * size)[0])
    write_off(os.path.join(out, "holes.off"), P, [t for i, t in enumerate(F) if i not in gone])

    # a flipped patch: its faces turned inside out
    flip = set(near(P, F, spots[0], 0.08 * size)[0])
    write_off(os.path.join(out, "flipped_patch.off"), P,
              [t[::-1] if i in flip else t for i, t in enumerate(F)])

    # cracks: the vertices of a band split into two copies a hair apart (2e-6 of the size)
    band = set(v for i in near(P, F, spots[1], 0.1 * size)[0] for v in F[i])
    points = [list(p) for p in P]
    twin = {}
    for v in sorted(band):
        twin[v] = len(points)
        points.append([x + 2e-6 * size for x in P[v]])
    faces = [[twin.get(v, v) if i % 2 else v for v in t] for i, t in enumerate(F)]
    write_off(os.path.join(out, "cracks.off"), points, faces)

    # degenerate faces: slivers and repeated corners sprinkled in
    faces = [list(t) for t in F]
    for i in range(0, len(F), 50):
        a, b, c = F[i]
        faces.append([a, a, b])
        faces.append([a, b, b])
    write_off(os.path.join(out, "degenerate.off"), P, faces)

    # floating specks: forty tiny balls (0.5-2 % of the size) around the figure
    points, faces = [list(p) for p in P], [list(t) for t in F]
    for k in range(40):
        r = (0.005 + 0.015 * random.random()) * size
        d = [random.uniform(-1, 1) for _ in range(3)]
        n = math.sqrt(sum(x * x for x in d)) or 1
        at = [centre[j] + d[j] / n * 0.8 * size for j in range(3)]
        add(points, faces, SP, SF, r, at)
    write_off(os.path.join(out, "specks.off"), points, faces)

    # crossing sheets: three patches copied and turned 30 degrees through the surface
    points, faces = [list(p) for p in P], [list(t) for t in F]
    for s in spots[2:5]:
        idx, seed = near(P, F, s, 0.06 * size)
        cp, cf = turned(P, F, idx, seed, 30)
        add(points, faces, cp, cf)
    write_off(os.path.join(out, "crossing_sheets.off"), points, faces)

    # a detached accessory: a ball 3 % of the size, a gap of 3 % beside the figure
    points, faces = [list(p) for p in P], [list(t) for t in F]
    side = (up + 1) % 3
    at = list(centre)
    at[side] = hi[side] + 0.03 * size + 0.04 * size
    add(points, faces, SP, SF, 0.08 * size, at)
    write_off(os.path.join(out, "detached_accessory.off"), points, faces)

    # a part pushed in: a ball of a fifth of the size sunk into the top
    points, faces = [list(p) for p in P], [list(t) for t in F]
    at = list(centre)
    at[up] = hi[up] - 0.05 * size
    add(points, faces, SP, SF, 0.2 * size, at)
    write_off(os.path.join(out, "pushed_in_part.off"), points, faces)


if __name__ == "__main__":
    main()
