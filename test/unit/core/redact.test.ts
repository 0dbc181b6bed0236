import assert from 'node:assert/strict';
import { compileRedactPatterns, isSecretName, patternProblemsText, redactCommandLine, shellWords, truncateText } from '../../../src/core/redact';

const r = (line: string, patterns: readonly string[] = []) => redactCommandLine(line, compileRedactPatterns(patterns).patterns);

describe('core/redact: a terminal command line before it leaves the machine', () => {
  describe('environment assignments', () => {
    it('hides the values of assignments before a command, quoted or not, and keeps the names', () => {
      assert.equal(r('FOO=bar cmd'), 'FOO=[redacted] cmd');
      assert.equal(r('FOO="a b c" BAR=\'x y\' ./deploy.sh --fast'), 'FOO=[redacted] BAR=[redacted] ./deploy.sh --fast');
      assert.equal(r('PATH+=:/opt/bin make'), 'PATH+=[redacted] make');
      assert.equal(r('sudo DB_HOST=db1 systemctl restart api'), 'sudo DB_HOST=[redacted] systemctl restart api');
    });

    it('in every simple command of the line, not only the first', () => {
      assert.equal(r('cd /srv && A=1 run; B=2 run | C=3 tee x'), 'cd /srv && A=[redacted] run; B=[redacted] run | C=[redacted] tee x');
    });

    it('after export, env, declare and friends; fish\'s set -x; PowerShell\'s $env:', () => {
      assert.equal(r('export AWS_PROFILE=prod AWS_REGION=eu-west-1'), 'export AWS_PROFILE=[redacted] AWS_REGION=[redacted]');
      assert.equal(r('env -i HOME=/tmp sh'), 'env -i HOME=[redacted] sh');
      assert.equal(r('declare -x X=1'), 'declare -x X=[redacted]');
      assert.equal(r('set -gx API_URL https://x.example/v1 extra'), 'set -gx API_URL [redacted]');
      assert.equal(r('$env:GITHUB_TOKEN = "abc"; gh pr list'), '$env:GITHUB_TOKEN = [redacted]; gh pr list');
    });

    it('an argument NAME=value only when the name says secret (make VERSION=1 stays readable)', () => {
      assert.equal(r('make deploy VERSION=1.2.3'), 'make deploy VERSION=1.2.3');
      assert.equal(r('kubectl get pods -l app=web'), 'kubectl get pods -l app=web');
      assert.equal(r('docker run -e DB_PASSWORD=hunter2 -e MODE=ro img'), 'docker run -e DB_PASSWORD=[redacted] -e MODE=ro img');
      assert.equal(r('kubectl create secret generic db --from-literal=password=s3cr3t'), 'kubectl create secret generic db --from-literal=password=[redacted]');
      assert.equal(r('helm upgrade api ./chart --set db.password=pw1 --set image.tag=v42'), 'helm upgrade api ./chart --set db.password=[redacted] --set image.tag=v42');
    });

    it('leaves an empty assignment (NAME= cmd unsets it for one command) as typed, not as a hidden value', () => {
      assert.equal(r('HTTPS_PROXY= curl https://api.example/health'), 'HTTPS_PROXY= curl https://api.example/health');
    });

    it('inside subshells and brace groups, and on every line of a multi-line command', () => {
      assert.equal(r('(AWS_PROFILE=prod make deploy) && { AWS_PROFILE=dr make deploy; }'),
        '(AWS_PROFILE=[redacted] make deploy) && { AWS_PROFILE=[redacted] make deploy; }');
      assert.equal(r('A=1 make\nB=2 make test'), 'A=[redacted] make\nB=[redacted] make test');
    });

    it('fish\'s set: the value ends at the next command, set -e / -q have none, -U / -u are scopes (not curl\'s user)', () => {
      assert.equal(r('set -gx API_TOKEN abc123; and deploy --fast'), 'set -gx API_TOKEN [redacted]; and deploy --fast');
      assert.equal(r('set -x CURL_OPTS --user admin:hunter2 --retry 3'), 'set -x CURL_OPTS [redacted]');
      assert.equal(r('set -e GITHUB_TOKEN'), 'set -e GITHUB_TOKEN');
      assert.equal(r('set -q GITHUB_TOKEN; or echo missing'), 'set -q GITHUB_TOKEN; or echo missing');
      assert.equal(r('set -U GITHUB_TOKEN abc123'), 'set -U GITHUB_TOKEN [redacted]');
      assert.equal(r('set -u GITHUB_TOKEN abc123'), 'set -u GITHUB_TOKEN [redacted]');
    });

    it('csh\'s setenv and Windows\' setx, which take the value after the name', () => {
      assert.equal(r('setenv AWS_SECRET_ACCESS_KEY abc123'), 'setenv AWS_SECRET_ACCESS_KEY [redacted]');
      assert.equal(r('setx API_KEY abc123 /m'), 'setx API_KEY [redacted]');
    });
  });

  describe('secret flags', () => {
    it('--token abc, --token=abc, --password x and the other secret names, single or double dash', () => {
      assert.equal(r('echo --token abc123'), 'echo --token [redacted]');
      assert.equal(r('gh auth login --token=abc123 --hostname h'), 'gh auth login --token=[redacted] --hostname h');
      assert.equal(r('psql --password "p w" -h db'), 'psql --password [redacted] -h db');
      assert.equal(r('tool --passwd x --secret y --api-key z --apikey q --auth a --key k --client-secret c --AUTH-TOKEN t'),
        'tool --passwd [redacted] --secret [redacted] --api-key [redacted] --apikey [redacted] --auth [redacted] --key [redacted] --client-secret [redacted] --AUTH-TOKEN [redacted]');
      assert.equal(r('vault login -token=abc -method=token'), 'vault login -token=[redacted] -method=token');
    });

    it('leaves flags that only look alike, and short flags (-p is a port to ssh and a password to mysql)', () => {
      assert.equal(r('git log --author dana --oneline'), 'git log --author dana --oneline');
      assert.equal(r('ssh -p 2222 host'), 'ssh -p 2222 host');
      assert.equal(r('ftp --passive host'), 'ftp --passive host');
      assert.equal(r('kubectl rollout undo deploy/api --to-revision=3'), 'kubectl rollout undo deploy/api --to-revision=3');
    });

    it('a secret flag at the end of the line or before an operator hides nothing else', () => {
      assert.equal(r('cmd --token'), 'cmd --token');
      assert.equal(r('cmd --token; echo next'), 'cmd --token; echo next');
    });

    it('an empty --password= (no password) is left as typed', () => {
      assert.equal(r('mysql --user=root --password= app'), 'mysql --user=root --password= app');
    });

    it('hides a double-quoted value whole, an escaped quote inside it included', () => {
      assert.equal(r('psql --password "p\\"w d" -h db'), 'psql --password [redacted] -h db');
    });

    it('hides a value that starts with a brace: it is a value, not a brace group', () => {
      assert.equal(r('mysql --password {S3cr3t} app'), 'mysql --password [redacted] app');
    });

    it('a flag last in a zsh brace group hides nothing: the closing brace is not its value', () => {
      assert.equal(r('{ docker login -u ci --password-stdin } < token.txt'), '{ docker login -u ci --password-stdin } < token.txt');
    });

    it('the password of curl\'s -u / --user user:pass, not the user', () => {
      assert.equal(r('curl -u admin:hunter2 https://x'), 'curl -u admin:[redacted] https://x');
      assert.equal(r('curl --user=admin:hunter2 https://x'), 'curl --user=admin:[redacted] https://x');
      assert.equal(r('curl -u "admin:p w" https://x'), 'curl -u "admin:[redacted]" https://x');
      assert.equal(r('git push -u origin main'), 'git push -u origin main');
    });

    it('the password of curl\'s --user, -U and --proxy-user, whatever its last letter, the quotes kept', () => {
      assert.equal(r('curl --user admin:hunter2 https://x'), 'curl --user admin:[redacted] https://x');
      assert.equal(r('curl -x proxy:3128 -U bob:s3cret https://x'), 'curl -x proxy:3128 -U bob:[redacted] https://x');
      assert.equal(r('curl --proxy-user bob:s3cret https://x'), 'curl --proxy-user bob:[redacted] https://x');
      assert.equal(r('curl -u svc-ci:K8s-pass https://x'), 'curl -u svc-ci:[redacted] https://x');
      assert.equal(r('curl --user="admin:p w" https://x'), 'curl --user="admin:[redacted]" https://x');
    });

    it('leaves curl\'s -u user: (no password) and other flags\' a:b values as typed', () => {
      assert.equal(r('curl -u admin: https://x'), 'curl -u admin: https://x');
      assert.equal(r('docker run --publish=8080:80 nginx'), 'docker run --publish=8080:80 nginx');
    });
  });

  describe('headers and bearer tokens', () => {
    it('Authorization: Bearer xyz keeps the scheme', () => {
      assert.equal(r('curl -H "Authorization: Bearer xyz" https://api'), 'curl -H "Authorization: Bearer [redacted]" https://api');
      assert.equal(r("curl -H 'authorization: Basic dXNlcjpwYXNz' u"), "curl -H 'authorization: Basic [redacted]' u");
      assert.equal(r('curl -H "Authorization: abc.def" u'), 'curl -H "Authorization: [redacted]" u');
    });

    it('a bearer token anywhere, cookies, and X-…-Token / X-Api-Key headers', () => {
      assert.equal(r('http GET api Bearer\teyJtoken'), 'http GET api Bearer\t[redacted]');
      assert.equal(r('curl -H "Cookie: session=abc; theme=dark" u'), 'curl -H "Cookie: [redacted]" u');
      assert.equal(r('curl -H "X-Api-Key: k123" -H "X-Request-Id: 42" u'), 'curl -H "X-Api-Key: [redacted]" -H "X-Request-Id: 42" u');
      assert.equal(r('curl -H "PRIVATE-TOKEN: glp" u'), 'curl -H "PRIVATE-TOKEN: [redacted]" u');
    });

    it('a credential header written without a space after its colon', () => {
      assert.equal(r('curl -H "X-Api-Key:k123" u'), 'curl -H "X-Api-Key:[redacted]" u');
    });

    it('leaves the word "basic" in prose alone', () => {
      assert.equal(r('git commit -m "basic configuration for the pool"'), 'git commit -m "basic configuration for the pool"');
    });
  });

  describe('URLs', () => {
    it('the password of user:pass@, and a bare http(s) user (a token), not ssh\'s git@', () => {
      assert.equal(r('git clone https://user:pass@host/repo.git'), 'git clone https://user:[redacted]@host/repo.git');
      assert.equal(r('psql postgres://app:s3cret@db:5432/app'), 'psql postgres://app:[redacted]@db:5432/app');
      assert.equal(r('git push https://ghtoken123@github.com/o/r'), 'git push https://[redacted]@github.com/o/r');
      assert.equal(r('git clone ssh://git@github.com/o/r'), 'git clone ssh://git@github.com/o/r');
    });

    it('a bare user of a plain http URL and of pip / npm\'s git+https URLs', () => {
      assert.equal(r('curl http://abc123@internal/api'), 'curl http://[redacted]@internal/api');
      assert.equal(r('pip install git+https://abcd1234@github.com/o/r'), 'pip install git+https://[redacted]@github.com/o/r');
      assert.equal(r('pip install git+ssh://git@github.com/o/r'), 'pip install git+ssh://git@github.com/o/r');
    });

    it('secret query parameters and signatures, not the others', () => {
      assert.equal(r('curl "https://x/api?token=abc&page=2&api_key=k"'), 'curl "https://x/api?token=[redacted]&page=2&api_key=[redacted]"');
      assert.equal(r('curl https://b.s3/x?X-Amz-Signature=f00&X-Amz-Expires=60'), 'curl https://b.s3/x?X-Amz-Signature=[redacted]&X-Amz-Expires=60');
      assert.equal(r('curl "https://sqs.example/?Action=List&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=abc"'),
        'curl "https://sqs.example/?Action=List&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=[redacted]"');
      assert.equal(r('make release NOSIG=1'), 'make release NOSIG=1');
    });
  });

  describe('well-known token shapes', () => {
    it('GitHub, GitLab, Slack, AWS key ids and JWTs wherever they appear', () => {
      const gh = `ghp_${'A1b2'.repeat(9)}`;
      assert.equal(r(`echo ${gh} | gh auth login --with-token`), 'echo [redacted] | gh auth login --with-token');
      assert.equal(r('aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE'), 'aws configure set aws_access_key_id [redacted]');
      assert.equal(r('echo eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4'), 'echo [redacted]');
      assert.equal(r('notify xoxb-1234567890-abcdef'), 'notify [redacted]');
    });
  });

  describe('the user\'s patterns (incidentRoom.terminal.redact)', () => {
    it('redact what they match, case-insensitively, or only their first capture group', () => {
      assert.equal(r('mysql -u root -pS3cret db', ['(?<=\\s-p)\\S+']), 'mysql -u root -p[redacted] db');
      assert.equal(r('deploy --Tenant ACME-42', ['acme-\\d+']), 'deploy --Tenant [redacted]');
      assert.equal(r('ssh ops@10.1.2.3 uptime', ['ops@(\\S+)']), 'ssh ops@[redacted] uptime');
    });

    it('run before the built-in rules, on the line as typed', () => {
      assert.equal(r('echo --token abc123 tenant-7', ['tenant-\\d']), 'echo --token [redacted] [redacted]');
    });

    it('without any, the built-in rules alone apply', () => {
      assert.equal(redactCommandLine('FOO=bar cmd --token abc'), 'FOO=[redacted] cmd --token [redacted]');
    });

    it('hide each of two matches that touch', () => {
      assert.equal(r('report --tenants tenant-7,tenant-8', ['tenant-\\d+,?']), 'report --tenants [redacted][redacted]');
    });

    it('a pattern that can match nothing at some place (a lookbehind and *) ends, and marks nothing there', () => {
      assert.equal(r('mysql -u root -pS3cret db && mysql -p db', ['(?<=\\s-p)\\S*']), 'mysql -u root -p[redacted] db && mysql -p db');
    });

    it('capture groups in lookaheads: matches out of order, inside or across another each hide their text, once', () => {
      assert.equal(r('vault write kv/ci ACME-42 s3cr3t', ['vault write(?=.*\\s(\\S+)$)|ACME-\\d+']), 'vault write kv/ci [redacted] [redacted]');
      assert.equal(r('report customer ACME-42 Dana now', ['customer (?=(\\S+ \\S+))|ACME-\\d+']), 'report customer [redacted] now');
      assert.equal(r('pay --card 4111 1111 1111 1111', ['(?=(\\d{4} \\d{4}))\\d{4}']), 'pay --card [redacted]');
    });

    it('a bad pattern is a problem naming it and why, never silently dropped', () => {
      const { patterns, problems } = compileRedactPatterns(['ok\\d+', '(unclosed', '', 42, 'a*']);
      assert.equal(patterns.length, 1);
      assert.deepEqual(problems.map((p) => [p.index, p.pattern]), [[1, '(unclosed'], [2, '""'], [3, '42'], [4, 'a*']]);
      assert.equal(problems[0]!.reason, 'Unterminated group');
      assert.match(problems[3]!.reason, /empty string/);
      assert.equal(compileRedactPatterns('(a)').problems[0]!.reason, 'must be a list of regular expressions');
      assert.deepEqual(compileRedactPatterns(undefined), { patterns: [], problems: [] });
    });

    it('a setting of null is no patterns, not a problem', () => {
      assert.deepEqual(compileRedactPatterns(null), { patterns: [], problems: [] });
    });

    it('the error names the setting and each bad pattern by place and text', () => {
      const { problems } = compileRedactPatterns(['ok', '(unclosed', '']);
      assert.equal(patternProblemsText('incidentRoom.terminal.redact', problems),
        'setting incidentRoom.terminal.redact is invalid: pattern 2 "(unclosed" is not a regular expression (Unterminated group); pattern 3 "" must be a non-empty string');
      assert.equal(patternProblemsText('s', compileRedactPatterns({}).problems), 'setting s is invalid: it must be a list of regular expressions');
    });

    it('the error names the first pattern by place too, says when one matches the empty string, escapes a quote', () => {
      const { problems } = compileRedactPatterns(['a*', '(x"']);
      assert.equal(patternProblemsText('s', problems),
        'setting s is invalid: pattern 1 "a*" matches the empty string; pattern 2 "(x\\"" is not a regular expression (Unterminated group)');
    });
  });

  it('is idempotent and leaves a line without secrets exactly as typed', () => {
    const lines = [
      'echo ok', 'false', 'kubectl -n prod logs deploy/api --since=10m | grep -i timeout',
      'FOO=bar A="b c" cmd --token abc --password=x -H "Authorization: Bearer t" https://u:p@h/?token=1 && export K=v',
    ];
    assert.equal(r(lines[0]!), 'echo ok');
    assert.equal(r(lines[2]!), lines[2]);
    for (const line of lines) assert.equal(r(r(line)), r(line), line);
    assert.doesNotMatch(r(lines[3]!), /bar|b c|abc|=x|Bearer t|:p@|token=1|K=v/);
  });

  it('secret names: split on - _ . and matched by part', () => {
    for (const yes of ['GITHUB_TOKEN', 'DB_PASSWORD', 'PGPASSWORD', 'api-key', 'apikey', 'auth', 'key', 'client.secret', 'authtoken', 'X-Vault-Token', 'pwd']) assert.ok(isSecretName(yes), yes);
    for (const no of ['author', 'port', 'passive', 'keyboard', 'tokenizer', 'VERSION', 'user']) assert.ok(!isSecretName(no), no);
  });

  it('shell words honour quotes and backslashes and split on operators', () => {
    assert.deepEqual(shellWords('a "b c" d\\ e\'f g\'|h&&i').map((w) => w.raw), ['a', '"b c"', 'd\\ e\'f g\'', '|', 'h', '&&', 'i']);
    assert.deepEqual(shellWords('echo "unterminated').map((w) => w.raw), ['echo', '"unterminated']);
  });

  it('a quote never closed (the shell waited for more) ends the words; what comes before it is still redacted', () => {
    assert.equal(r("DEPLOY_ENV=prod echo don't"), "DEPLOY_ENV=[redacted] echo don't");
  });

  it('a no-break or ideographic space (pasted from a page) separates words like a space', () => {
    assert.equal(r('curl\u00a0--token\u00a0abc123 https://x'), 'curl\u00a0--token\u00a0[redacted] https://x');
    assert.equal(r('cd /Users/dana/My\u3000Docs && ls'), 'cd /Users/dana/My\u3000Docs && ls');
  });

  it('truncateText cuts to the limit with an ellipsis, never inside a surrogate pair', () => {
    assert.equal(truncateText('abc', 3), 'abc');
    assert.equal(truncateText('abcd', 3), 'ab…');
    const cut = truncateText(`a${'😀'.repeat(3)}`, 3);
    assert.equal(cut, 'a…');
    assert.ok(cut.length <= 3);
  });

  it('truncateText keeps a whole emoji before the cut and drops half a pair of any plane', () => {
    assert.equal(truncateText('ab😀cd', 5), 'ab😀…');
    assert.equal(truncateText('a😀bc', 3), 'a…');
    assert.equal(truncateText('a\u{10000}bc', 3), 'a…');
    assert.equal(truncateText('a\u{10FFFD}bc', 3), 'a…');
  });
});
