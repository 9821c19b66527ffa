// Loading this registers every toxic type by name, like the init() functions of Toxiproxy's toxics package.
import './noop.ts';
import './latency.ts';
import './bandwidth.ts';
import './slow-close.ts';
import './timeout.ts';
import './reset-peer.ts';
import './slicer.ts';
import './limit-data.ts';

export { assignAttributes, attributesOf, findToxicClass, registeredToxicTypes, type Toxic, type ToxicClass } from './toxic.ts';
