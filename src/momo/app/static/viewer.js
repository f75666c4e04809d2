// The 3D viewer: stick figures of leader, followers and outputs from joint positions (metres,
// y up), a floor grid, root traces and foot contacts; optionally the .bvh files drawn by
// three.js's own BVHLoader on top (an outside check of our BVH writer); attention
// correspondences as links from the leader's root at sampled frames to the matched follower frames.
import {
  AmbientLight, AnimationMixer, BufferGeometry, BVHLoader, Color, CylinderGeometry,
  DirectionalLight, Float32BufferAttribute, GridHelper, Group, Line, LineBasicMaterial, LineSegments, Mesh,
  MeshLambertMaterial, OrbitControls, PerspectiveCamera, Scene, SkeletonHelper, SphereGeometry,
  Vector3, WebGLRenderer,
} from 'three-viewer';

const ROLE_COLOURS = {
  leader: ['#3b82f6', '#60a5fa'],
  follower: ['#f59e0b', '#fbbf24', '#d97706', '#fcd34d'],
  output: ['#10b981', '#34d399', '#059669', '#6ee7b7'],
};
const CONTACT_COLOUR = new Color('#ef4444');
const SPACING = 1.6; // metres between figures side by side
const LINK_COLOUR = '#e879f9';
const LINK_JOINT = 0; // the root (pelvis)

export function roleColour(role, index) {
  const list = ROLE_COLOURS[role] || ['#e5e7eb'];
  return list[index % list.length];
}

class Figure {
  // One motion: bone cylinders, joint spheres and a root trace, in a group offset along x.
  constructor(motion, parents, colour) {
    this.motion = motion;
    this.parents = parents;
    this.group = new Group();
    this.colour = new Color(colour);
    const material = new MeshLambertMaterial({ color: this.colour });
    const bone = new CylinderGeometry(0.022, 0.022, 1, 8);
    bone.rotateX(Math.PI / 2); // axis along z, so lookAt points it at the child joint
    this.bones = parents.map((p) => {
      if (p < 0) return null;
      const mesh = new Mesh(bone, material);
      this.group.add(mesh);
      return mesh;
    });
    const ball = new SphereGeometry(1, 12, 8);
    this.joints = parents.map((_, j) => {
      const mesh = new Mesh(ball, new MeshLambertMaterial({ color: this.colour }));
      const radius = j === 15 ? 0.09 : 0.035; // the head
      mesh.scale.setScalar(radius);
      mesh.userData.radius = radius;
      this.group.add(mesh);
      return mesh;
    });
    const trace = motion.joints.flatMap((frame) => [frame[0][0], 0.005, frame[0][2]]);
    const geometry = new BufferGeometry();
    geometry.setAttribute('position', new Float32BufferAttribute(trace, 3));
    this.trace = new Line(geometry, new LineBasicMaterial({ color: this.colour }));
    this.group.add(this.trace);
  }

  show(frame, showContacts) {
    const f = Math.min(frame, this.motion.frames - 1);
    const pose = this.motion.joints[f];
    const a = new Vector3();
    const b = new Vector3();
    this.parents.forEach((p, j) => {
      const joint = this.joints[j];
      joint.position.set(pose[j][0], pose[j][1], pose[j][2]);
      const contact = showContacts && this.motion.contacts[j] && this.motion.contacts[j][f];
      joint.material.color.copy(contact ? CONTACT_COLOUR : this.colour);
      joint.scale.setScalar(contact ? 0.055 : joint.userData.radius);
      if (p < 0) return;
      a.set(pose[p][0], pose[p][1], pose[p][2]);
      b.set(pose[j][0], pose[j][1], pose[j][2]);
      const mesh = this.bones[j];
      mesh.position.copy(a).add(b).multiplyScalar(0.5);
      mesh.lookAt(b.x + this.group.position.x, b.y, b.z);
      mesh.scale.set(1, 1, Math.max(a.distanceTo(b), 1e-4));
    });
  }
}

export class Viewer {
  constructor(canvas) {
    this.canvas = canvas;
    this.renderer = new WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.scene = new Scene();
    this.scene.background = new Color('#1f2330');
    this.scene.add(new AmbientLight(0xffffff, 1.2));
    const sun = new DirectionalLight(0xffffff, 2.0);
    sun.position.set(3, 6, 4);
    this.scene.add(sun);
    const grid = new GridHelper(30, 30, 0x6b7280, 0x374151);
    this.scene.add(grid);
    this.camera = new PerspectiveCamera(45, 1, 0.05, 200);
    this.camera.position.set(0, 2.2, 6);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, 0.9, 0);
    this.figures = [];
    this.bvh = [];
    this.links = null;
    this.frame = 0;
    this.time = 0;
    this.playing = true;
    this.speed = 1;
    this.layout = 'side';
    this.showTraces = true;
    this.showContacts = true;
    this.onFrame = () => {};
    this.last = performance.now();
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
    this.resize();
    requestAnimationFrame((t) => this.tick(t));
  }

  get frames() {
    return Math.max(1, ...this.figures.map((f) => f.motion.frames));
  }

  get fps() {
    return this.figures.length ? this.figures[0].motion.fps : 20;
  }

  resize() {
    const parent = this.canvas.parentElement;
    const width = parent.clientWidth;
    const height = parent.clientHeight;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / Math.max(height, 1);
    this.camera.updateProjectionMatrix();
  }

  clear() {
    for (const figure of this.figures) this.scene.remove(figure.group);
    this.clearBvh();
    this.clearLinks();
    this.figures = [];
  }

  load(scene) {
    // scene: what GET /api/jobs/{id}/scene returns.
    this.clear();
    const counts = {};
    for (const motion of scene.motions) {
      const index = counts[motion.role] = (counts[motion.role] ?? -1) + 1;
      const figure = new Figure(motion, scene.parents, roleColour(motion.role, index));
      this.figures.push(figure);
      this.scene.add(figure.group);
    }
    this.time = 0;
    this.frame = 0;
    this.arrange();
    this.frameCamera();
  }

  offset(i) {
    return this.layout === 'side' ? (i - (this.figures.length - 1) / 2) * SPACING : 0;
  }

  arrange() {
    this.figures.forEach((figure, i) => {
      figure.group.position.x = this.offset(i);
      figure.trace.visible = this.showTraces;
    });
    this.bvh.forEach((item) => { item.root.position.x = this.offset(item.index); });
    if (this.links) this.placeLinks();
    this.draw();
  }

  clearLinks() {
    if (!this.links) return;
    this.scene.remove(this.links.all);
    this.scene.remove(this.links.current);
    this.links = null;
  }

  setLinks(leader, follower, mapping, every) {
    // Lines from figure `leader`'s root at every `every`-th frame i to figure `follower`'s root
    // at frame mapping[i], and a brighter one for the frame shown now.
    this.clearLinks();
    const all = new LineSegments(new BufferGeometry(), new LineBasicMaterial({ color: LINK_COLOUR, transparent: true, opacity: 0.55 }));
    const current = new Line(new BufferGeometry(), new LineBasicMaterial({ color: '#ffffff' }));
    this.links = { leader, follower, mapping, every, all, current };
    this.scene.add(all);
    this.scene.add(current);
    this.placeLinks();
    this.draw();
  }

  linkEnds(i) {
    const { leader, follower, mapping } = this.links;
    const a = this.figures[leader].motion.joints[i][LINK_JOINT];
    const b = this.figures[follower].motion.joints[mapping[i]][LINK_JOINT];
    return [a[0] + this.offset(leader), a[1], a[2], b[0] + this.offset(follower), b[1], b[2]];
  }

  placeLinks() {
    const { mapping, every, all } = this.links;
    const points = [];
    for (let i = 0; i < mapping.length; i += every) points.push(...this.linkEnds(i));
    all.geometry.setAttribute('position', new Float32BufferAttribute(points, 3));
    all.geometry.computeBoundingSphere();
  }

  drawCurrentLink() {
    const { mapping, current } = this.links;
    const i = Math.min(this.frame, mapping.length - 1);
    current.geometry.setAttribute('position', new Float32BufferAttribute(this.linkEnds(i), 3));
    current.geometry.computeBoundingSphere();
  }

  setVisible(i, visible) {
    this.figures[i].group.visible = visible;
  }

  frameCamera() {
    // Look at the shown figures over their whole motion from the front-right, a little above.
    let minX = Infinity; let maxX = -Infinity; let minZ = Infinity; let maxZ = -Infinity;
    this.figures.forEach((figure, i) => {
      if (!figure.group.visible) return;
      for (const pose of figure.motion.joints) {
        const x = pose[0][0] + this.offset(i);
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minZ = Math.min(minZ, pose[0][2]); maxZ = Math.max(maxZ, pose[0][2]);
      }
    });
    if (!Number.isFinite(minX)) return;
    const centre = new Vector3((minX + maxX) / 2, 0.9, (minZ + maxZ) / 2);
    const size = Math.max(maxX - minX, maxZ - minZ, 2) + 1.5;
    this.controls.target.copy(centre);
    this.camera.position.set(centre.x + size * 0.3, 1.0 + size * 0.4, centre.z + size * 0.95);
    this.controls.update();
  }

  seek(frame) {
    this.frame = Math.max(0, Math.min(frame, this.frames - 1));
    this.time = this.frame / this.fps;
    this.draw();
  }

  draw() {
    for (const figure of this.figures) figure.show(this.frame, this.showContacts);
    for (const item of this.bvh) item.mixer.setTime(Math.min(this.time, item.duration));
    if (this.links) this.drawCurrentLink();
    this.onFrame(this.frame, this.frames);
  }

  tick(now) {
    const dt = Math.min((now - this.last) / 1000, 0.1);
    this.last = now;
    if (this.playing && this.figures.length) {
      this.time = (this.time + dt * this.speed) % (this.frames / this.fps);
      const frame = Math.floor(this.time * this.fps);
      if (frame !== this.frame) {
        this.frame = frame;
        this.draw();
      }
    }
    this.controls.update();
    this.renderer.render(this.scene, this.camera);
    requestAnimationFrame((t) => this.tick(t));
  }

  clearBvh() {
    for (const item of this.bvh) { this.scene.remove(item.root); this.scene.remove(item.helper); }
    this.bvh = [];
  }

  async loadBvh(urls) {
    // urls[i]: the .bvh of figure i (or null). Drawn in white, centimetres -> metres.
    this.clearBvh();
    const loader = new BVHLoader();
    await Promise.all(urls.map(async (url, index) => {
      if (!url) return;
      const result = await loader.loadAsync(url);
      const root = new Group();
      root.scale.setScalar(0.01);
      root.add(result.skeleton.bones[0]);
      const helper = new SkeletonHelper(result.skeleton.bones[0]);
      helper.material.vertexColors = false;
      helper.material.color = new Color('#ffffff');
      helper.material.depthTest = false;
      const holder = new Group(); // the helper follows the bones' world matrices itself
      holder.add(root);
      this.scene.add(holder);
      this.scene.add(helper);
      const mixer = new AnimationMixer(result.skeleton.bones[0]);
      mixer.clipAction(result.clip).play();
      this.bvh.push({ root: holder, helper, mixer, index, duration: result.clip.duration });
    }));
    this.arrange();
  }
}
