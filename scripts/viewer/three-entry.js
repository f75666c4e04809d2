// The parts of three.js the viewer uses; scripts/viewer/build.sh bundles them (tree-shaken,
// minified) into src/momo/app/static/vendor/three-viewer.min.js.
export {
  AmbientLight, AnimationMixer, BufferGeometry, Color, CylinderGeometry, DirectionalLight,
  Float32BufferAttribute,
  GridHelper, Group, Line, LineBasicMaterial, LineSegments, Mesh, MeshBasicMaterial,
  MeshLambertMaterial, PerspectiveCamera, Scene, SkeletonHelper, SphereGeometry, Vector3,
  WebGLRenderer,
} from 'three';
export { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
export { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';
