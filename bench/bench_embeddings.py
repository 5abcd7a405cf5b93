"""Nearest-neighbour query over the 400,000 GloVe words: this app's search (pre-normalized rows, one
matrix-vector product, argpartition) against gensim's KeyedVectors.most_similar on the same vectors, same run."""


from core.embeddings import combine, nearest, parse_expression
from models.vector_spaces import glove_space
from bench.timing import median_time

QUERIES = ["king - man + woman", "paris - france + italy", "berlin - germany + japan", "walking - walk + swim"]
REPEATS = 30



def main() -> None:
    space = glove_space()
    parsed = [parse_expression(q) for q in QUERIES]

    def ours():
        for terms in parsed:
            vector = combine(terms, space.lookup, space.unit)
            nearest(space.unit, vector, 10, set().union(*[space.variants(t.word) for t in terms]))

    try:
        from gensim.models import KeyedVectors
    except ImportError:
        print(f"ours: {median_time(ours, REPEATS) / len(QUERIES) * 1000:.2f} ms a query; gensim is not installed "
              "(make bench installs requirements-bench.txt)")
        return
    vectors = KeyedVectors(vector_size=space.raw.shape[1])
    vectors.add_vectors(space.display, space.raw)
    vectors.fill_norms()
    positives = [[t.word for t in terms if t.weight > 0] for terms in parsed]
    negatives = [[t.word for t in terms if t.weight < 0] for terms in parsed]

    def theirs():
        for p, n in zip(positives, negatives):
            vectors.most_similar(positive=p, negative=n, topn=10)

    for p, n, terms in zip(positives, negatives, parsed):            # same answers first
        vector = combine(terms, space.lookup, space.unit)
        mine = nearest(space.unit, vector, 1, set().union(*[space.variants(t.word) for t in terms]))[0]
        assert vectors.most_similar(positive=p, negative=n, topn=1)[0][0] == space.display[mine[0]]
    ours(), theirs()                                                  # warm
    t_ours, t_theirs = median_time(ours, REPEATS) / len(QUERIES), median_time(theirs, REPEATS) / len(QUERIES)
    print(f"GloVe nearest-neighbour query (400,000 words, k = 10, median of {REPEATS}): ours {t_ours * 1000:.2f} ms, "
          f"gensim most_similar {t_theirs * 1000:.2f} ms; ours / gensim = {t_ours / t_theirs:.2f} (target <= 0.8, "
          f"and < 10 ms)")


if __name__ == "__main__":
    main()
