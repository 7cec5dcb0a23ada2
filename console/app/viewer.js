// The 3D viewer of the review page (three.js): the customer's original and the repaired model
// in millimetres, Z up, standing on the build plate; orbit with the mouse; original, repaired
// or both side by side; colours on or off; the thin regions of the report as red boxes.
import * as THREE from './vendor/three/build/three.module.js';
import { OrbitControls } from './vendor/three/examples/jsm/controls/OrbitControls.js';
import { GLTFLoader } from './vendor/three/examples/jsm/loaders/GLTFLoader.js';
import { OBJLoader } from './vendor/three/examples/jsm/loaders/OBJLoader.js';
import { PLYLoader } from './vendor/three/examples/jsm/loaders/PLYLoader.js';
import { STLLoader } from './vendor/three/examples/jsm/loaders/STLLoader.js';

const GREY = 0xd9d4cc;

function meshFromGeometry(geometry) {
  geometry.computeVertexNormals();
  const coloured = !!geometry.getAttribute('color');
  const material = new THREE.MeshStandardMaterial({ color: coloured ? 0xffffff : GREY, vertexColors: coloured, roughness: 0.8 });
  const mesh = new THREE.Mesh(geometry, material);
  mesh.userData.coloured = coloured;
  return mesh;
}

// Parses a model file into an Object3D; null for a format the browser cannot show (FBX, OFF,
// ZIP bundles: the engineer sees the repaired model and the preview pictures instead).
export async function parseModel(buffer, format) {
  switch (format) {
    case 'stl': return meshFromGeometry(new STLLoader().parse(buffer));
    case 'ply': return meshFromGeometry(new PLYLoader().parse(buffer));
    case 'obj': {
      const group = new OBJLoader().parse(new TextDecoder().decode(buffer));
      group.traverse((o) => {
        if (!o.isMesh) return;
        const coloured = !!o.geometry.getAttribute('color');
        o.material = new THREE.MeshStandardMaterial({ color: coloured ? 0xffffff : GREY, vertexColors: coloured, roughness: 0.8 });
        o.userData.coloured = coloured;
      });
      return group;
    }
    case 'glb':
    case 'gltf': {
      const gltf = await new GLTFLoader().parseAsync(buffer, '');
      return gltf.scene;
    }
    case 'off': {
      const geometry = parseOff(new TextDecoder().decode(buffer));
      return geometry ? meshFromGeometry(geometry) : null;
    }
    default: return null;
  }
}

// OFF (Geomview's Object File Format, CGAL's and many mesh tools' own): three.js has no loader
// for it, and the format is a header line, a count line, a line per vertex and a line per face
// (its corner count, the corners, maybe a colour): polygons are fanned into triangles here and
// colours skipped. Null for what is not OFF.
export function parseOff(text) {
  const lines = text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean)
    .map((line) => line.split(/\s+/));
  if (!lines.length || !/^C?N?OFF$/.test(lines[0][0])) return null;
  // the counts on the header's own line ("OFF 8 12 0") or the next
  let row = 1;
  const counts = lines[0].length > 1 ? lines[0].slice(1) : lines[row++] ?? [];
  const [vertices, faces] = counts.map(Number);
  if (!(vertices > 0) || !(faces > 0) || lines.length < row + vertices + faces) return null;
  const points = new Float32Array(vertices * 3);
  for (let v = 0; v < vertices; v++, row++) {
    for (let k = 0; k < 3; k++) points[v * 3 + k] = Number(lines[row][k]);
  }
  const index = [];
  for (let f = 0; f < faces; f++, row++) {
    const n = Number(lines[row][0]);
    const corners = lines[row].slice(1, 1 + n).map(Number);
    if (corners.some((c) => !(c >= 0 && c < vertices))) return null;
    for (let k = 1; k + 1 < n; k++) index.push(corners[0], corners[k], corners[k + 1]);
  }
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.BufferAttribute(points, 3));
  geometry.setIndex(index);
  return geometry;
}

// The repaired STL with its texture (a full-colour figure that came with one): `uvs` holds two
// floats for each corner of each triangle in the STL's order (uvs.bin), `image` the texture.
export async function texturedModel(stlBuffer, uvs, imageBlob) {
  const geometry = new STLLoader().parse(stlBuffer);
  geometry.computeVertexNormals();
  const corners = geometry.getAttribute('position').count;
  if (uvs.length !== corners * 2) throw new Error(`uvs.bin has ${uvs.length / 2} corners, the STL ${corners}`);
  geometry.setAttribute('uv', new THREE.BufferAttribute(uvs, 2));
  const bitmap = await createImageBitmap(imageBlob, { imageOrientation: 'flipY' });
  const texture = new THREE.Texture(bitmap);
  texture.flipY = false;  // flipped when decoded: v runs upwards, as in OBJ and VRML
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.wrapS = texture.wrapT = THREE.RepeatWrapping;  // coordinates past 1 repeat, as printed
  texture.needsUpdate = true;
  const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color: 0xffffff, map: texture, roughness: 0.8 }));
  mesh.userData.coloured = true;
  mesh.userData.textured = true;
  return mesh;
}

export class Viewer {
  constructor(container) {
    this.container = container;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio);
    this.renderer.setClearColor(0xf4f2ee);
    container.append(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8580, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(80, -120, 200);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(35, 1, 1, 5000);
    this.camera.up.set(0, 0, 1);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener('change', () => this.render());
    this.models = { original: null, repaired: null };
    this.marks = new THREE.Group();
    this.scene.add(this.marks);
    this.mode = 'repaired';
    this.colour = true;
    new ResizeObserver(() => this.resize()).observe(container);
  }

  resize() {
    const { clientWidth: w, clientHeight: h } = this.container;
    if (!w || !h) return;
    this.renderer.setSize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
    // the view's angles, for people reading the page with a screen reader, and for the tests
    const s = new THREE.Spherical().setFromVector3(this.camera.position.clone().sub(this.controls.target));
    this.container.dataset.azimuth = THREE.MathUtils.radToDeg(s.theta).toFixed(1);
    this.container.dataset.polar = THREE.MathUtils.radToDeg(s.phi).toFixed(1);
  }

  // The repaired model is already in mm on z = 0. The original is in the customer's units and
  // axes: turned Z-up as the preparation did, scaled to the same height, centred beside it.
  setModel(which, object, { heightMm, yUp } = {}) {
    if (this.models[which]) this.scene.remove(this.models[which]);
    if (!object) { this.models[which] = null; return; }
    const holder = new THREE.Group();
    holder.add(object);
    if (which === 'original') {
      if (yUp) object.rotation.x = Math.PI / 2;
      object.updateMatrixWorld(true);
      const box = new THREE.Box3().setFromObject(object);
      const size = box.getSize(new THREE.Vector3());
      const scale = heightMm && size.z > 0 ? heightMm / size.z : 1;
      holder.scale.setScalar(scale);
      const centre = box.getCenter(new THREE.Vector3());
      object.position.set(-centre.x, -centre.y, -box.min.z);
    }
    this.models[which] = holder;
    this.scene.add(holder);
    this.layout();
  }

  // Red boxes around the thin regions of the report (repaired model's coordinates).
  setThinRegions(regions) {
    this.marks.clear();
    for (const r of regions) {
      const min = new THREE.Vector3(...r.box_min_mm);
      const max = new THREE.Vector3(...r.box_max_mm);
      const size = max.clone().sub(min).addScalar(1.5);
      const box = new THREE.Mesh(new THREE.BoxGeometry(size.x, size.y, size.z),
        new THREE.MeshBasicMaterial({ color: 0xd7263d, transparent: true, opacity: 0.35, depthTest: false }));
      box.position.copy(min.clone().add(max).multiplyScalar(0.5));
      box.add(new THREE.LineSegments(new THREE.EdgesGeometry(box.geometry), new THREE.LineBasicMaterial({ color: 0xd7263d })));
      this.marks.add(box);
    }
    this.render();
  }

  showThin(on) { this.marks.visible = on; this.render(); }

  // How far the repair moved the surface, as colours on the repaired model: `perCorner` holds a
  // distance in mm for each corner of each triangle in model.stl's order (deviation.bin).
  // Within `withinMm` the surface is as it was (grey); beyond, yellow to red at `fullMm`.
  // The same map draws the colour difference (colour_de.bin, CIEDE2000 in place of mm).
  showDeviation(perCorner, { withinMm = 0.1, fullMm = 1 } = {}) {
    const model = this.models.repaired;
    if (!model) return;
    model.traverse((o) => {
      if (!o.isMesh) return;
      const geometry = o.geometry;
      if (!o.userData.plain) {
        o.userData.plain = { color: geometry.getAttribute('color'), material: o.material };
      }
      if (!perCorner) {
        if (o.userData.plain.color) geometry.setAttribute('color', o.userData.plain.color);
        else geometry.deleteAttribute('color');
        o.material = o.userData.plain.material;
        return;
      }
      const count = geometry.getAttribute('position').count;
      const index = geometry.index;  // a PLY is indexed, an STL is not
      const distance = new Float32Array(count);
      const corners = index ? index.count : count;
      for (let c = 0; c < corners && c < perCorner.length; c++) {
        const v = index ? index.getX(c) : c;
        distance[v] = Math.max(distance[v], perCorner[c]);
      }
      const colours = new Float32Array(count * 3);
      const grey = new THREE.Color(GREY), yellow = new THREE.Color(0xf2c94c), red = new THREE.Color(0xd7263d);
      const c = new THREE.Color();
      for (let v = 0; v < count; v++) {
        const d = distance[v];
        if (d <= withinMm) c.copy(grey);
        else c.copy(yellow).lerp(red, Math.min(1, (d - withinMm) / (fullMm - withinMm)));
        colours.set([c.r, c.g, c.b], v * 3);
      }
      geometry.setAttribute('color', new THREE.BufferAttribute(colours, 3));
      o.material = new THREE.MeshStandardMaterial({ color: 0xffffff, vertexColors: true, roughness: 0.8 });
    });
    this.render();
  }

  setMode(mode) { this.mode = mode; this.layout(); }

  setColour(on) {
    this.colour = on;
    for (const model of Object.values(this.models)) {
      model?.traverse((o) => {
        if (!o.isMesh) return;
        const materials = Array.isArray(o.material) ? o.material : [o.material];
        for (const m of materials) {
          if (m.userData.original === undefined) m.userData.original = { map: m.map, vertexColors: m.vertexColors, color: m.color.getHex() };
          const keep = m.userData.original;
          m.map = on ? keep.map : null;
          m.vertexColors = on ? keep.vertexColors : false;
          m.color.setHex(on ? keep.color : GREY);
          m.needsUpdate = true;
        }
      });
    }
    this.render();
  }

  layout() {
    const { original, repaired } = this.models;
    const both = this.mode === 'side' && original && repaired;
    if (original) original.visible = this.mode !== 'repaired' || !repaired;
    if (repaired) repaired.visible = this.mode !== 'original' || !original;
    this.marks.visible = repaired?.visible ?? false;
    const width = repaired ? new THREE.Box3().setFromObject(repaired).getSize(new THREE.Vector3()).x : 0;
    if (original) original.position.x = both ? -(width * 1.25) : 0;
    this.frame();
  }

  frame() {
    const box = new THREE.Box3();
    for (const m of Object.values(this.models)) if (m?.visible) box.expandByObject(m);
    if (box.isEmpty()) { this.render(); return; }
    const centre = box.getCenter(new THREE.Vector3());
    const radius = box.getSize(new THREE.Vector3()).length() / 2;
    const distance = radius / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2)) * 1.1;
    this.controls.target.copy(centre);
    this.camera.position.copy(centre).add(new THREE.Vector3(0, -1, 0.45).normalize().multiplyScalar(distance));
    this.camera.near = distance / 100;
    this.camera.far = distance * 10;
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.render();
  }

  dispose() {
    this.controls.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
  }
}
