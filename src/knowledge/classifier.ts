/** One training example: its features and the index of its class. */
export interface TrainingExample {
  features: string[];
  label: number;
}

export interface ClassifierOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  /** Seed of the example shuffle, so a given knowledge base always trains the same model. */
  seed: number;
}

const DEFAULTS: ClassifierOptions = { epochs: 30, learningRate: 0.5, l2: 1e-4, seed: 20261123 };

/**
 * Multinomial logistic regression over sparse binary features, trained by SGD on the
 * knowledge base's own examples. It learns which words and character pairs tell topics apart,
 * which generalises to new phrasings better than similarity to the nearest example alone.
 */
export class SoftmaxClassifier {
  private readonly featureIndex = new Map<string, number>();
  /**
   * Feature-major: the weights of feature `k` for every class sit together at `k * classCount`,
   * so a text's few features read a few contiguous runs instead of one scattered value per class.
   */
  private readonly weights: Float64Array;
  private readonly bias: Float64Array;

  constructor(
    examples: TrainingExample[],
    private readonly classCount: number,
    options: Partial<ClassifierOptions> = {},
  ) {
    const { epochs, learningRate, l2, seed } = { ...DEFAULTS, ...options };
    for (const example of examples) {
      for (const feature of example.features) if (!this.featureIndex.has(feature)) this.featureIndex.set(feature, this.featureIndex.size);
    }
    const width = this.featureIndex.size;
    this.weights = new Float64Array(classCount * width);
    this.bias = new Float64Array(classCount);
    const encoded = examples.map((example) => ({
      ids: [...new Set(example.features)].map((feature) => this.featureIndex.get(feature)!),
      label: example.label,
    }));
    const random = mulberry32(seed);
    const order = encoded.map((_, i) => i);
    const probabilities = new Float64Array(classCount);
    for (let epoch = 0; epoch < epochs; epoch += 1) {
      shuffle(order, random);
      for (const n of order) {
        const { ids, label } = encoded[n]!;
        const scale = 1 / Math.sqrt(ids.length || 1);
        this.softmax(ids, scale, probabilities);
        for (let c = 0; c < classCount; c += 1) {
          const gradient = probabilities[c]! - (c === label ? 1 : 0);
          probabilities[c] = gradient;
          this.bias[c] = this.bias[c]! - learningRate * gradient;
        }
        for (const k of ids) {
          const row = k * classCount;
          for (let c = 0; c < classCount; c += 1) {
            this.weights[row + c] = this.weights[row + c]! - learningRate * (probabilities[c]! * scale + l2 * this.weights[row + c]!);
          }
        }
      }
    }
  }

  /** Class probabilities for a text's features (unknown features are ignored). */
  predict(features: string[]): Float64Array {
    const ids: number[] = [];
    for (const feature of new Set(features)) {
      const id = this.featureIndex.get(feature);
      if (id !== undefined) ids.push(id);
    }
    const probabilities = new Float64Array(this.classCount);
    this.softmax(ids, 1 / Math.sqrt(features.length || 1), probabilities);
    return probabilities;
  }

  get featureCount(): number {
    return this.featureIndex.size;
  }

  /** Every feature and its id. */
  featureEntries(): IterableIterator<[string, number]> {
    return this.featureIndex.entries();
  }

  /** The feature's id, or -1 when no training example had it. */
  featureId(feature: string): number {
    return this.featureIndex.get(feature) ?? -1;
  }

  /**
   * Same as `predict` for callers that already hold the distinct known feature ids (in the order
   * of their first occurrence) and the text's feature count, duplicates included.
   */
  predictIds(ids: number[], featureCount: number): Float64Array {
    const probabilities = new Float64Array(this.classCount);
    this.softmax(ids, 1 / Math.sqrt(featureCount || 1), probabilities);
    return probabilities;
  }

  private softmax(ids: number[], scale: number, out: Float64Array): void {
    const { classCount, weights } = this;
    out.set(this.bias);
    // Per class, the terms are added in the same order as a class-by-class loop would add them.
    for (const k of ids) {
      const row = k * classCount;
      for (let c = 0; c < classCount; c += 1) out[c] = out[c]! + weights[row + c]! * scale;
    }
    let max = -Infinity;
    for (let c = 0; c < classCount; c += 1) if (out[c]! > max) max = out[c]!;
    let sum = 0;
    for (let c = 0; c < this.classCount; c += 1) {
      const e = Math.exp(out[c]! - max);
      out[c] = e;
      sum += e;
    }
    for (let c = 0; c < this.classCount; c += 1) out[c] = out[c]! / sum;
  }
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
