OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': ">>> docs = [['the', 'cat', 'sat', 'on', 'the', 'mat'], ['the', 'dog']]\n"
                                               '>>> vocab = build_vocab(docs)\n'
                                               ">>> assert vocab == ['cat', 'dog', 'mat', 'on', 'sat', 'the']\n"
                                               ">>> assert build_vocab(docs, min_count=2) == ['the']\n",
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': ">>> vocab = ['cat', 'dog', 'mat', 'on', 'sat', 'the']\n"
                                               ">>> X = one_hot_encode(['the', 'zebra', 'cat'], vocab)\n"
                                               '>>> assert X.shape == (3, 6) and X.dtype == torch.float32\n'
                                               '>>> assert X.tolist() == [[0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]]\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': ">>> vocab = ['cat', 'dog', 'mat', 'on', 'sat', 'the']\n"
                                               ">>> bow = bag_of_words([['the', 'cat', 'sat', 'on', 'the', 'mat'], ['the', 'dog']], vocab)\n"
                                               '>>> assert bow.dtype == torch.float32\n'
                                               '>>> assert bow.tolist() == [[1, 0, 1, 1, 1, 2], [0, 1, 0, 0, 0, 1]]\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
